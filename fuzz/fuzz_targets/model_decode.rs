//! Any bytes offered as a model file are either refused with an error or decode to a valid
//! model that survives encoding; nothing panics or allocates without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use movieclassifier::model::Model;
use movieclassifier::Classifier;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Model::decode(data) {
        assert_eq!(Model::decode(&model.encode()).as_ref(), Ok(&model));
        if model.config.n_features <= 1 << 16 {
            assert!(Classifier::from_model(model).is_ok());
        }
    }
});
