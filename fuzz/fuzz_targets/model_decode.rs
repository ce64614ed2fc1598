//! Any bytes offered as a model file are either refused with an error or decode to a valid
//! model that survives encoding, loads into a classifier whose memory follows what the file
//! stores, and learns an example without leaving the range a file holds; nothing panics or
//! allocates without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use movieclassifier::model::Model;
use movieclassifier::{Classifier, Label};

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Model::decode(data) {
        assert_eq!(Model::decode(&model.encode()).as_ref(), Ok(&model));
        let mut classifier = Classifier::from_model(model).expect("a decoded model loads");
        if classifier
            .teach("a fine film, not dull", Label::Positive)
            .is_ok()
        {
            let saved = classifier.to_lossless_bytes();
            assert!(
                Classifier::from_bytes(&saved).is_ok(),
                "a taught model reloads"
            );
        }
    }
});
