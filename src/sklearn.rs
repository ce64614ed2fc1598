//! scikit-learn's pickled `SGDClassifier`, in and out: the notebook's `classifier.pkl` (and its
//! `stopwords.pkl`) becomes a [`Classifier`] that predicts what it predicted and goes on
//! learning exactly as its `partial_fit` would, and a classifier of the notebook's recipe
//! becomes a pickle that scikit-learn loads and goes on learning from.
//!
//! Unpickling in Python runs whatever the file names, so the file is read by [`crate::pickle`],
//! which runs nothing and accepts only the globals listed here: the estimator class under the
//! module paths of recent and older scikit-learn, numpy's array reconstruction under
//! `numpy.core` and `numpy._core`, numpy's dtype, the loss objects of old and new
//! scikit-learn, and `_codecs.encode`, with which protocol 2 writes bytes. What the estimator
//! holds is then checked against what this library can continue exactly; anything else is
//! refused by name.

use thiserror::Error;

use crate::config::{check_range, Config, LogLoss, StepSize, StopWords, ALPHA_RANGE, MAX_FEATURES};
use crate::model::{Model, ModelError, Provenance, SparseWeights};
use crate::pickle::{self, Limits, Out, Pickle, PickleError, Value};
use crate::tokenize::{dropped_words, stop_words as nltk_stop_words};
use crate::{Classifier, WeightPrecision};

/// The estimator classes read, and the module written.
const ESTIMATOR_MODULES: [&str; 2] = [
    "sklearn.linear_model._stochastic_gradient",
    "sklearn.linear_model.stochastic_gradient",
];
const ESTIMATOR: &str = "SGDClassifier";
const NUMPY_CORES: [&str; 2] = ["numpy._core", "numpy.core"];
/// The modules of the loss objects an `SGDClassifier` keeps (its logistic loss, or another
/// one that the estimator's `loss` setting then names in the refusal): before scikit-learn
/// 0.22, up to 1.2, and since.
const LOSS_MODULES: [&str; 3] = [
    "sklearn.linear_model.sgd_fast",
    "sklearn.linear_model._sgd_fast",
    "sklearn._loss._loss",
];
/// The scikit-learn the exported pickle is written for.
const EXPORTED_FOR: &str = "1.9.1";

/// Why a pickle cannot be imported.
#[derive(Debug, Error, PartialEq)]
pub enum ImportError {
    #[error("{0}")]
    Pickle(#[from] PickleError),
    #[error(
        "this file holds a {0}, not an SGDClassifier; only the notebook's \
         SGDClassifier(loss='log_loss') can be imported"
    )]
    NotSgd(String),
    #[error("this SGDClassifier has {field}={value}; {why}")]
    Unsupported {
        field: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("this SGDClassifier's {0} is missing or not what scikit-learn writes there")]
    Malformed(&'static str),
    #[error("the stop-word file is not a list of words as the notebook pickles it")]
    StopWords,
    #[error("{0}")]
    Model(#[from] ModelError),
}

/// Why a model cannot be exported as a pickle.
#[derive(Debug, Error, PartialEq)]
pub enum ExportError {
    #[error(
        "this model uses {0}, which scikit-learn's SGDClassifier cannot run; only models of \
         the notebook's recipe (single words, 'optimal' steps) can be taken to scikit-learn"
    )]
    Recipe(&'static str),
}

fn allowed(module: &str, name: &str) -> bool {
    (ESTIMATOR_MODULES.contains(&module) && name == ESTIMATOR)
        || NUMPY_CORES.iter().any(|core| {
            (module.strip_prefix(core) == Some(".multiarray") && name == "_reconstruct")
                || (module.strip_prefix(core) == Some(".numeric") && name == "_frombuffer")
        })
        || (module == "numpy" && (name == "ndarray" || name == "dtype"))
        || LOSS_MODULES.contains(&module)
        || (module == "_codecs" && name == "encode")
        || (module == "copyreg" && name == "_reconstructor")
        || (module == "builtins" && name == "object")
}

/// Reads the notebook's `classifier.pkl`, and its `stopwords.pkl` if given (without it, or
/// when it holds the list this library knows, the tokenizer drops NLTK's list).
pub fn import(classifier: &[u8], stop_words: Option<&[u8]>) -> Result<Classifier, ImportError> {
    let words = stop_words.map(read_stop_words).transpose()?;
    let pickle =
        pickle::read(classifier, &allowed, &Limits::default()).map_err(|err| match err {
            PickleError::Forbidden { module, name } if module.starts_with("sklearn.") => {
                ImportError::NotSgd(format!("{module}.{name}"))
            }
            err => ImportError::Pickle(err),
        })?;
    let estimator = Estimator::new(&pickle)?;
    let model = estimator.model(words)?;
    Ok(Classifier::from_model(model)?)
}

/// [`import`] from one or two pickles in either order, as a person picks them: the one that
/// holds a list of words is the stop-word list.
pub fn import_files(first: &[u8], second: Option<&[u8]>) -> Result<Classifier, ImportError> {
    match second {
        None => import(first, None),
        Some(second) if read_stop_words(first).is_ok() => import(second, Some(first)),
        Some(second) => import(first, Some(second)),
    }
}

/// The words of a pickled list (or tuple or set) of strings.
fn read_stop_words(bytes: &[u8]) -> Result<Vec<String>, ImportError> {
    let pickle = pickle::read(bytes, &|_, _| false, &Limits::default())?;
    let root = pickle.root();
    let items = pickle
        .list(root)
        .or_else(|| pickle.tuple(root))
        .or_else(|| match pickle.node(root) {
            Some(pickle::Node::Set(items) | pickle::Node::FrozenSet(items)) => Some(items),
            _ => None,
        })
        .ok_or(ImportError::StopWords)?;
    items
        .iter()
        .map(|&item| pickle.str(item).map(str::to_owned))
        .collect::<Option<Vec<String>>>()
        .ok_or(ImportError::StopWords)
}

/// The estimator's pickled state.
struct Estimator<'a> {
    pickle: &'a Pickle,
    state: Value,
}

impl<'a> Estimator<'a> {
    fn new(pickle: &'a Pickle) -> Result<Self, ImportError> {
        let (callable, args, _, state) = pickle
            .object(pickle.root())
            .ok_or(ImportError::NotSgd("something else".into()))?;
        // Protocols 0 and 1 make objects by `copyreg._reconstructor(cls, object, None)`.
        let class = match callable {
            ("copyreg", "_reconstructor") => args
                .first()
                .and_then(|&class| pickle.global(class))
                .ok_or(ImportError::Malformed("class"))?,
            class => class,
        };
        if !(ESTIMATOR_MODULES.contains(&class.0) && class.1 == ESTIMATOR) {
            return Err(ImportError::NotSgd(format!("{}.{}", class.0, class.1)));
        }
        let state = state.ok_or(ImportError::Malformed("state"))?;
        pickle.dict(state).ok_or(ImportError::Malformed("state"))?;
        Ok(Estimator { pickle, state })
    }

    fn get(&self, field: &'static str) -> Option<Value> {
        self.pickle.get(self.state, field)
    }

    fn text(&self, field: &'static str) -> Result<&str, ImportError> {
        self.get(field)
            .and_then(|value| self.pickle.str(value))
            .ok_or(ImportError::Malformed(field))
    }

    fn float(&self, field: &'static str) -> Result<f64, ImportError> {
        match self.get(field) {
            Some(Value::Float(value)) => Ok(value),
            Some(Value::Int(value)) => Ok(value as f64),
            _ => Err(ImportError::Malformed(field)),
        }
    }

    /// A setting that must have one value for `partial_fit` to go on as this library does.
    fn require(
        &self,
        field: &'static str,
        wanted: Value,
        why: &'static str,
    ) -> Result<(), ImportError> {
        let value = self.get(field).unwrap_or(Value::None);
        let same = match (value, wanted) {
            (Value::Bool(a), Value::Int(b)) | (Value::Int(b), Value::Bool(a)) => i64::from(a) == b,
            (a, b) => a == b,
        };
        if same {
            Ok(())
        } else {
            Err(ImportError::Unsupported {
                field,
                value: self.show(value),
                why,
            })
        }
    }

    /// A value as Python would print it, for a message.
    fn show(&self, value: Value) -> String {
        match value {
            Value::None => "None".into(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(n) => n.to_string(),
            Value::Float(x) => format!("{x:?}"),
            Value::Node(_) => match self.pickle.str(value) {
                Some(text) => format!("'{text}'"),
                None => "an object".into(),
            },
        }
    }

    fn model(&self, stop_words: Option<Vec<String>>) -> Result<Model, ImportError> {
        let loss = self.text("loss")?;
        if loss != "log_loss" && loss != "log" {
            return Err(ImportError::Unsupported {
                field: "loss",
                value: format!("'{loss}'"),
                why: "only the logistic loss ('log_loss', once 'log') gives probabilities this \
                      page can show and learn from",
            });
        }
        let penalty = self.text("penalty").map_err(|_| ImportError::Unsupported {
            field: "penalty",
            value: self.show(self.get("penalty").unwrap_or(Value::None)),
            why: "only the L2 penalty is supported",
        })?;
        if penalty != "l2" {
            return Err(ImportError::Unsupported {
                field: "penalty",
                value: format!("'{penalty}'"),
                why: "only the L2 penalty is supported",
            });
        }
        let rate = self.text("learning_rate")?;
        if rate != "optimal" {
            return Err(ImportError::Unsupported {
                field: "learning_rate",
                value: format!("'{rate}'"),
                why: "only the 'optimal' schedule, the default, is supported",
            });
        }
        self.require(
            "average",
            Value::Bool(false),
            "averaged weights are not supported",
        )?;
        self.require(
            "fit_intercept",
            Value::Bool(true),
            "a model without an intercept is not supported",
        )?;
        self.require(
            "shuffle",
            Value::Bool(true),
            "partial_fit here shuffles each batch, as scikit-learn does by default",
        )?;
        self.require(
            "class_weight",
            Value::None,
            "class weights are not supported",
        )?;
        self.require(
            "early_stopping",
            Value::Bool(false),
            "early stopping is not supported",
        )?;
        let random_state = match self.get("random_state") {
            Some(Value::Int(seed)) => u32::try_from(seed).ok(),
            _ => None,
        }
        .ok_or_else(|| ImportError::Unsupported {
            field: "random_state",
            value: self.show(self.get("random_state").unwrap_or(Value::None)),
            why: "the order partial_fit shuffles a batch in comes from it, so it must be a \
                  whole number (the notebook's is 1) for learning to go on as in Python",
        })?;
        let alpha = self.float("alpha")?;
        check_range("alpha", alpha, ALPHA_RANGE).map_err(ModelError::Config)?;

        let classes = self.array("classes_")?;
        if classes.element != Element::Int64 || classes.ints()? != [0, 1] {
            return Err(ImportError::Unsupported {
                field: "classes_",
                value: "other than [0, 1]".into(),
                why: "the notebook's labels are 0 (negative) and 1 (positive)",
            });
        }
        let coef = self.array("coef_")?;
        let n_features = match coef.shape.as_slice() {
            [1, n] => u32::try_from(*n)
                .ok()
                .filter(|&n| n > 0 && n <= MAX_FEATURES),
            _ => None,
        }
        .ok_or(ImportError::Malformed("coef_"))?;
        let weights: Vec<(u32, f64)> = coef
            .floats()?
            .into_iter()
            .enumerate()
            .filter(|&(_, weight)| weight != 0.0)
            .map(|(column, weight)| (column as u32, weight))
            .collect();
        let intercept = match self.array("intercept_")?.floats()?.as_slice() {
            [intercept] => *intercept,
            _ => return Err(ImportError::Malformed("intercept_")),
        };
        let t = self.float("t_")?;

        let mut config = Config::notebook();
        config.n_features = n_features;
        config.learner.alpha = alpha;
        config.learner.random_state = random_state;
        config.learner.loss = if loss == "log" {
            LogLoss::Log
        } else {
            LogLoss::HalfBinomial
        };
        config.tokenizer.stop_words = match stop_words {
            Some(words) if !words.iter().map(String::as_str).eq(nltk_stop_words()) => {
                StopWords::Custom(words)
            }
            _ => StopWords::Nltk,
        };
        let version = self
            .get("_sklearn_version")
            .and_then(|value| self.pickle.str(value))
            .unwrap_or("unknown");
        Ok(Model {
            config,
            weights: SparseWeights::from_entries(&weights, WeightPrecision::F64),
            intercept,
            t,
            squared_sums: None,
            provenance: Provenance {
                data: format!("a scikit-learn {version} SGDClassifier pickle"),
                // `t_` starts at 1 and counts every row learned.
                rows: if t >= 1.0 && t < 2f64.powi(53) {
                    t as u64 - 1
                } else {
                    0
                },
                held_out_accuracy: None,
                taught: 0,
            },
        })
    }

    fn array(&self, field: &'static str) -> Result<Array<'a>, ImportError> {
        let value = self.get(field).ok_or(ImportError::Malformed(field))?;
        Array::read(self.pickle, value).ok_or(ImportError::Malformed(field))
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Element {
    Int64,
    Float64,
}

/// A numpy array as pickled: its element type, shape and little-endian data.
struct Array<'a> {
    element: Element,
    shape: Vec<usize>,
    data: std::borrow::Cow<'a, [u8]>,
}

impl<'a> Array<'a> {
    /// `_reconstruct(ndarray, (0,), b'b')` built with `(1, shape, dtype, is_fortran, data)`,
    /// or protocol 5's `_frombuffer(data, dtype, shape, order)`.
    fn read(pickle: &'a Pickle, value: Value) -> Option<Array<'a>> {
        let ((module, name), args, _, state) = pickle.object(value)?;
        let core = NUMPY_CORES
            .iter()
            .find_map(|core| module.strip_prefix(core))?;
        let (dtype, shape, fortran, data) = match (core, name) {
            (".multiarray", "_reconstruct") => match pickle.tuple(state?)? {
                [_, shape, dtype, fortran, data] => (*dtype, *shape, *fortran, *data),
                _ => return None,
            },
            (".numeric", "_frombuffer") => match args {
                [data, dtype, shape, order] => (
                    *dtype,
                    *shape,
                    Value::Bool(pickle.str(*order)? == "F"),
                    *data,
                ),
                _ => return None,
            },
            _ => return None,
        };
        let element = dtype_of(pickle, dtype)?;
        let shape: Vec<usize> = pickle
            .tuple(shape)?
            .iter()
            .map(|&n| match n {
                Value::Int(n) => usize::try_from(n).ok(),
                _ => None,
            })
            .collect::<Option<_>>()?;
        // A one-row matrix is the same in either order; anything else in Fortran order is not
        // what scikit-learn keeps.
        if fortran == Value::Bool(true) && shape.iter().filter(|&&n| n > 1).count() > 1 {
            return None;
        }
        let data = bytes_of(pickle, data)?;
        let count = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))?;
        (count.checked_mul(8)? == data.len()).then_some(Array {
            element,
            shape,
            data,
        })
    }

    fn ints(&self) -> Result<Vec<i64>, ImportError> {
        Ok(self
            .data
            .chunks_exact(8)
            .map(|chunk| i64::from_le_bytes(chunk.try_into().unwrap_or_default()))
            .collect())
    }

    fn floats(&self) -> Result<Vec<f64>, ImportError> {
        if self.element != Element::Float64 {
            return Err(ImportError::Malformed("coef_"));
        }
        Ok(self
            .data
            .chunks_exact(8)
            .map(|chunk| f64::from_le_bytes(chunk.try_into().unwrap_or_default()))
            .collect())
    }
}

/// `numpy.dtype('f8' or 'i8', False, True)` built with a little-endian byte order.
fn dtype_of(pickle: &Pickle, dtype: Value) -> Option<Element> {
    let (("numpy", "dtype"), args, _, state) = pickle.object(dtype)? else {
        return None;
    };
    let element = match pickle.str(*args.first()?)? {
        "f8" => Element::Float64,
        "i8" => Element::Int64,
        _ => return None,
    };
    let order = pickle.tuple(state?)?.get(1).and_then(|&o| pickle.str(o))?;
    (order == "<" || (order == "=" && cfg!(target_endian = "little"))).then_some(element)
}

/// Bytes as protocol 3 and later write them, or as protocol 2 does: `_codecs.encode(text,
/// 'latin1')`, one character a byte.
fn bytes_of(pickle: &Pickle, value: Value) -> Option<std::borrow::Cow<'_, [u8]>> {
    if let Some(bytes) = pickle.bytes(value) {
        return Some(bytes.into());
    }
    let (("_codecs", "encode"), [text, encoding], _, _) = pickle.object(value)? else {
        return None;
    };
    if pickle.str(*encoding)? != "latin1" {
        return None;
    }
    pickle
        .str(*text)?
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u8>>>()
        .map(Into::into)
}

/// The classifier as scikit-learn pickles an `SGDClassifier` (scikit-learn 1.9.1 with
/// numpy 2, protocol 4, as the notebook writes it).
pub fn export(classifier: &Classifier) -> Result<Vec<u8>, ExportError> {
    exportable(classifier)?;
    let config = classifier.config();
    let n = config.n_features as usize;
    let mut coef = vec![0u8; n * 8];
    for (column, weight) in classifier.weights() {
        let at = column as usize * 8;
        if let Some(slot) = coef.get_mut(at..at + 8) {
            slot.copy_from_slice(&weight.to_le_bytes());
        }
    }
    let ints = |values: &[i64]| values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let floats = |values: &[f64]| values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let text = |s: &str| Out::Str(s.into());
    let fields = vec![
        ("loss", text("log_loss")),
        ("penalty", text("l2")),
        ("learning_rate", text("optimal")),
        ("epsilon", Out::Float(0.1)),
        ("alpha", Out::Float(config.learner.alpha)),
        ("l1_ratio", Out::Float(0.15)),
        ("fit_intercept", Out::Bool(true)),
        ("shuffle", Out::Bool(true)),
        (
            "random_state",
            Out::Int(i64::from(config.learner.random_state)),
        ),
        ("verbose", Out::Int(0)),
        ("eta0", Out::Float(0.01)),
        ("power_t", Out::Float(0.5)),
        ("early_stopping", Out::Bool(false)),
        ("validation_fraction", Out::Float(0.1)),
        ("n_iter_no_change", Out::Int(5)),
        ("warm_start", Out::Bool(false)),
        ("average", Out::Bool(false)),
        ("max_iter", Out::Int(1000)),
        ("tol", Out::Float(0.001)),
        ("class_weight", Out::None),
        ("n_jobs", Out::None),
        ("n_features_in_", Out::Int(n as i64)),
        ("classes_", array("i8", vec![2], ints(&[0, 1]))),
        (
            "_expanded_class_weight",
            array("f8", vec![2], floats(&[1.0, 1.0])),
        ),
        ("coef_", array("f8", vec![1, n as i64], coef)),
        (
            "intercept_",
            array("f8", vec![1], floats(&[classifier.intercept()])),
        ),
        (
            "_loss_function_",
            Out::Reduce(
                Box::new(Out::Global(
                    "sklearn._loss._loss".into(),
                    "CyHalfBinomialLoss".into(),
                )),
                Vec::new(),
            ),
        ),
        ("t_", Out::Float(classifier.t())),
        ("n_iter_", Out::Int(1)),
        ("_sklearn_version", text(EXPORTED_FOR)),
    ];
    let state = Out::Dict(fields.into_iter().map(|(k, v)| (text(k), v)).collect());
    let estimator = Out::NewObj(
        Box::new(Out::Global(ESTIMATOR_MODULES[0].into(), ESTIMATOR.into())),
        Vec::new(),
    );
    Ok(pickle::write(&Out::Build(
        Box::new(estimator),
        Box::new(state),
    )))
}

/// Whether scikit-learn's `SGDClassifier` runs the classifier's recipe.
pub fn exportable(classifier: &Classifier) -> Result<(), ExportError> {
    let config = classifier.config();
    if config.tokenizer.ngram_range != (1, 1) {
        return Err(ExportError::Recipe("word pairs or triples"));
    }
    if let StepSize::AdaGrad { .. } = config.learner.step {
        return Err(ExportError::Recipe("AdaGrad steps"));
    }
    Ok(())
}

/// The stop-word list of a classifier's tokenizer, pickled as the notebook pickles it, for
/// the app that tokenizes for an exported classifier.
pub fn export_stop_words(classifier: &Classifier) -> Vec<u8> {
    let words = dropped_words(&classifier.config().tokenizer.stop_words)
        .into_iter()
        .map(|word| Out::Str(word.into()))
        .collect();
    pickle::write(&Out::List(words))
}

/// A numpy array as numpy 2 pickles one with protocol 4.
fn array(element: &str, shape: Vec<i64>, data: Vec<u8>) -> Out {
    let core = |name: &str| Out::Global("numpy._core.multiarray".into(), name.into());
    let dtype = Out::Build(
        Box::new(Out::Reduce(
            Box::new(Out::Global("numpy".into(), "dtype".into())),
            vec![Out::Str(element.into()), Out::Bool(false), Out::Bool(true)],
        )),
        Box::new(Out::Tuple(vec![
            Out::Int(3),
            Out::Str("<".into()),
            Out::None,
            Out::None,
            Out::None,
            Out::Int(-1),
            Out::Int(-1),
            Out::Int(0),
        ])),
    );
    let empty = Out::Reduce(
        Box::new(core("_reconstruct")),
        vec![
            Out::Global("numpy".into(), "ndarray".into()),
            Out::Tuple(vec![Out::Int(0)]),
            Out::Bytes(b"b".to_vec()),
        ],
    );
    Out::Build(
        Box::new(empty),
        Box::new(Out::Tuple(vec![
            Out::Int(1),
            Out::Tuple(shape.into_iter().map(Out::Int).collect()),
            dtype,
            Out::Bool(false),
            Out::Bytes(data),
        ])),
    )
}
