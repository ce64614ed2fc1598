//! The engine inside a real browser (`wasm-pack test --headless --chrome`): the same golden
//! training run as `tests/golden.rs`, so the wasm32 build is held to scikit-learn too.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{labels, numbers, texts};
use movieclassifier::model::ModelError;
use movieclassifier::{Classifier, Config};
use serde_json::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SGD_GOLDEN: &str = include_str!("golden/sgd.json");

fn trained() -> (Classifier, Value) {
    let golden: Value = serde_json::from_str(SGD_GOLDEN).expect("fixture");
    let mut classifier = Classifier::new(Config::notebook()).expect("valid config");
    for batch in golden["batches"].as_array().expect("batches") {
        classifier
            .partial_fit(&texts(&batch["texts"]), &labels(&batch["labels"]))
            .expect("valid batch");
    }
    (classifier, golden)
}

#[wasm_bindgen_test]
fn browser_probabilities_match_scikit_learn() {
    let (classifier, golden) = trained();
    let predict = &golden["predict"];
    for (text, python) in texts(&predict["texts"])
        .iter()
        .zip(numbers(&predict["proba"]))
    {
        let browser = classifier.predict_proba(text);
        assert!((browser - python).abs() <= 1e-9, "{browser} != {python}");
    }
}

#[wasm_bindgen_test]
fn model_files_round_trip_in_the_browser() {
    let (classifier, golden) = trained();
    let bytes = classifier.to_bytes();
    let restored = Classifier::from_bytes(&bytes).expect("round trip");
    let text = texts(&golden["predict"]["texts"])[0];
    assert_eq!(restored.predict_proba(text), classifier.predict_proba(text));
    assert!(matches!(
        Classifier::from_bytes(&bytes[..bytes.len() / 2]),
        Err(ModelError::Truncated { .. })
    ));
}

mod store {
    //! The IndexedDB store and the session over it, in a real browser.

    use movieclassifier::model::Model;
    use movieclassifier::wasm::store::{Learned, Store, Taught};
    use movieclassifier::wasm::{open_glance, open_session, Glance, Session};
    use movieclassifier::{Classifier, Config, Label};
    use wasm_bindgen::JsValue;
    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::*;

    const REVIEW: &str = "The plot was thin but the acting was wonderful.";

    /// A small pretrained model: the notebook's pipeline after `extra` + 2 examples.
    fn pretrained(extra: usize) -> Vec<u8> {
        let mut classifier = Classifier::new(Config::notebook()).expect("valid config");
        let mut texts = vec!["a wonderful film", "a dreadful film"];
        let mut labels = vec![Label::Positive, Label::Negative];
        for _ in 0..extra {
            texts.push("thin plot");
            labels.push(Label::Negative);
        }
        classifier
            .partial_fit(&texts, &labels)
            .expect("valid batch");
        classifier.to_bytes()
    }

    /// What a session should hold: `start` plus the taught examples, taught one at a time.
    fn replayed(start: &[u8], taught: &[(&str, Label)]) -> Classifier {
        let mut classifier = Classifier::from_bytes(start).expect("valid model");
        for (text, label) in taught {
            classifier.teach(text, *label).expect("valid example");
        }
        classifier
    }

    /// A database name no earlier run has used, so each test starts from empty storage.
    fn fresh(name: &str) -> String {
        format!("{name}-{}", js_sys::Date::now())
    }

    async fn open(pretrained: &[u8], database: &str) -> Session {
        open_session(pretrained.to_vec(), database.to_owned())
            .await
            .unwrap_or_else(|_| panic!("session opens"))
    }

    async fn teach(session: &Session, text: &str, positive: bool) {
        JsFuture::from(session.teach(text.to_owned(), positive))
            .await
            .expect("taught");
    }

    fn probability(session: &Session) -> f64 {
        let model = session.export_model();
        Classifier::from_bytes(&model)
            .expect("exported model is valid")
            .predict_proba(REVIEW)
    }

    #[wasm_bindgen_test]
    async fn teaching_round_trips_through_indexeddb() {
        let base = pretrained(0);
        let database = fresh("round-trip");
        let session = open(&base, &database).await;
        assert!(session.persistent(), "{:?}", session.notice());
        teach(&session, REVIEW, false).await;
        teach(&session, "wonderful acting", true).await;
        let expected = probability(&session);
        session.close();

        let reopened = open(&base, &database).await;
        assert_eq!(reopened.taught(), 2);
        assert_eq!(reopened.notice(), None);
        assert_eq!(probability(&reopened), expected);
        let reference = replayed(
            &base,
            &[
                (REVIEW, Label::Negative),
                ("wonderful acting", Label::Positive),
            ],
        );
        assert_eq!(expected, reference.predict_proba(REVIEW));
        reopened.close();
    }

    #[wasm_bindgen_test]
    async fn a_corrupted_saved_model_is_rebuilt_from_the_log() {
        let base = pretrained(0);
        let database = fresh("corrupted");
        let session = open(&base, &database).await;
        teach(&session, REVIEW, false).await;
        let expected = probability(&session);
        session.close();

        let store = Store::opening(&database)
            .opened()
            .await
            .expect("store opens");
        let saved = store.load().await.expect("store loads");
        let learned = saved.learned.expect("a learned model was saved");
        let mut bytes = learned.bytes.clone();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        store
            .save_learned(&Learned { bytes, ..learned })
            .await
            .expect("saved");
        store.close();

        let reopened = open(&base, &database).await;
        let notice = reopened.notice().expect("the visitor is told");
        assert!(notice.contains("could not be read"), "{notice}");
        assert!(notice.contains("checksum"), "{notice}");
        assert_eq!(reopened.taught(), 1);
        assert_eq!(probability(&reopened), expected);
        reopened.close();
    }

    #[wasm_bindgen_test]
    async fn a_new_pretrained_model_gets_the_log_replayed() {
        let old = pretrained(0);
        let new = pretrained(1);
        assert_ne!(Model::checksum_of(&old), Model::checksum_of(&new));
        let database = fresh("new-pretrained");
        let session = open(&old, &database).await;
        teach(&session, REVIEW, true).await;
        teach(&session, "thin plot", true).await;
        session.close();

        let upgraded = open(&new, &database).await;
        let notice = upgraded.notice().expect("the visitor is told");
        assert!(notice.contains("new pretrained model"), "{notice}");
        assert_eq!(upgraded.taught(), 2);
        let reference = replayed(
            &new,
            &[(REVIEW, Label::Positive), ("thin plot", Label::Positive)],
        );
        assert_eq!(probability(&upgraded), reference.predict_proba(REVIEW));
        upgraded.close();
    }

    /// The keys of the lessons, newest first, as the history lists them.
    async fn history_keys(session: &Session) -> Vec<u32> {
        let listing = JsFuture::from(session.history(String::new(), 100))
            .await
            .expect("listed");
        let entries = js_sys::Reflect::get(&listing, &"entries".into()).expect("entries");
        js_sys::Array::from(&entries)
            .iter()
            .map(|entry| {
                js_sys::Reflect::get(&entry, &"key".into())
                    .expect("a key")
                    .as_f64()
                    .expect("a number") as u32
            })
            .collect()
    }

    #[wasm_bindgen_test]
    async fn a_deleted_or_flipped_lesson_gives_the_remaining_log_learned_afresh() {
        let base = pretrained(0);
        let database = fresh("corrections");
        let session = open(&base, &database).await;
        teach(&session, REVIEW, false).await;
        teach(&session, "wonderful acting", true).await;
        teach(&session, "thin plot", false).await;
        let keys = history_keys(&session).await;
        JsFuture::from(session.delete_lesson(keys[1]))
            .await
            .expect("deleted");
        let reference = replayed(
            &base,
            &[(REVIEW, Label::Negative), ("thin plot", Label::Negative)],
        );
        assert_eq!(session.export_model(), reference.to_lossless_bytes());
        JsFuture::from(session.flip_lesson(keys[2]))
            .await
            .expect("flipped");
        let reference = replayed(
            &base,
            &[("thin plot", Label::Negative), (REVIEW, Label::Positive)],
        );
        assert_eq!(session.export_model(), reference.to_lossless_bytes());
        session.close();

        // What a reload finds is what was left.
        let reopened = open(&base, &database).await;
        assert_eq!(reopened.taught(), 2);
        assert_eq!(reopened.export_model(), reference.to_lossless_bytes());
        reopened.close();
    }

    #[wasm_bindgen_test]
    async fn the_log_is_kept_in_order_with_its_model_in_one_transaction() {
        let store = Store::opening(&fresh("log-order"))
            .opened()
            .await
            .expect("store opens");
        let mut keys: Vec<u32> = Vec::new();
        for (n, text) in ["first", "second", "third"].iter().enumerate() {
            let taught = Taught {
                text: (*text).to_owned(),
                positive: n % 2 == 0,
                time: n as f64,
                source: "typed".into(),
            };
            let learned = Learned {
                bytes: pretrained(0),
                start: 7,
                keys: keys.clone(),
            };
            let (added, saved) = store
                .write(&[], &[taught], &learned, &keys, None)
                .await
                .expect("recorded");
            assert!(saved, "the model is saved with its entry");
            keys.extend(added);
        }
        // A model learned without the third entry is not saved beside a fourth.
        let stale = Learned {
            bytes: pretrained(1),
            start: 7,
            keys: keys[..2].to_vec(),
        };
        let fourth = Taught {
            text: "fourth".into(),
            positive: true,
            time: 4.0,
            source: "typed".into(),
        };
        let (_, saved) = store
            .write(&[], &[fourth], &stale, &keys[..2], None)
            .await
            .expect("recorded");
        assert!(!saved);
        let saved = store.load().await.expect("loads");
        let texts: Vec<&str> = saved.log.iter().map(|(_, t)| t.text.as_str()).collect();
        assert_eq!(texts, ["first", "second", "third", "fourth"]);
        let learned = saved.learned.expect("saved");
        assert_eq!(learned.keys, keys);
        assert_eq!(learned.bytes, pretrained(0));
        store.close();
    }

    #[wasm_bindgen_test]
    async fn two_sessions_teaching_in_turn_hold_the_log_replayed() {
        let base = pretrained(0);
        let database = fresh("two-sessions");
        let first = open(&base, &database).await;
        let second = open(&base, &database).await;
        teach(&first, REVIEW, false).await;
        // The second has not caught up: its example lands after one it never learned.
        teach(&second, "wonderful acting", true).await;
        teach(&second, "thin plot", false).await;
        JsFuture::from(first.sync()).await.expect("synced");
        let reference = replayed(
            &base,
            &[
                (REVIEW, Label::Negative),
                ("wonderful acting", Label::Positive),
                ("thin plot", Label::Negative),
            ],
        );
        assert_eq!(first.export_model(), reference.to_lossless_bytes());
        assert_eq!(second.export_model(), reference.to_lossless_bytes());
        first.close();
        second.close();
        let reopened = open(&base, &database).await;
        assert_eq!(reopened.export_model(), reference.to_lossless_bytes());
        reopened.close();
    }

    #[wasm_bindgen_test]
    async fn an_invalid_import_changes_nothing() {
        let base = pretrained(0);
        let database = fresh("bad-import");
        let session = open(&base, &database).await;
        let before = probability(&session);
        let refused = session.import_model(b"MOVIECLF but not really".to_vec());
        let message = refused
            .err()
            .map(JsValue::from)
            .and_then(|e| js_sys::Reflect::get(&e, &"message".into()).ok())
            .and_then(|m| m.as_string())
            .expect("refused with a message");
        assert!(message.contains("cannot be imported"), "{message}");
        assert_eq!(probability(&session), before);
        session.close();
    }

    async fn glance(pretrained: &[u8], database: &str) -> Option<Glance> {
        open_glance(pretrained, database.to_owned())
            .await
            .unwrap_or_else(|_| panic!("the pretrained model is read"))
    }

    fn shown(classification: Result<JsValue, wasm_bindgen::JsError>) -> String {
        let value = classification.unwrap_or_else(|_| panic!("classified"));
        js_sys::JSON::stringify(&value)
            .expect("serialisable")
            .into()
    }

    #[wasm_bindgen_test]
    async fn the_first_verdict_engine_answers_as_the_session_until_something_is_taught() {
        let base = pretrained(3);
        let database = fresh("glance");
        let early = glance(&base, &database).await.expect("nothing taught yet");
        let session = open(&base, &database).await;
        for text in [
            REVIEW,
            "",
            "Wonderful! <br />A dreadful, thin plot :) ünïcödé",
        ] {
            assert_eq!(shown(early.classify(text)), shown(session.classify(text)));
        }
        teach(&session, REVIEW, true).await;
        assert!(glance(&base, &database).await.is_none(), "taught");
        JsFuture::from(session.reset()).await.expect("reset");
        assert!(glance(&base, &database).await.is_some(), "reset");
        let import = session
            .import_model(pretrained(1))
            .unwrap_or_else(|_| panic!("a valid model"));
        JsFuture::from(import).await.expect("imported");
        assert!(glance(&base, &database).await.is_none(), "imported");
        session.close();
    }
}
