//! `e^x`, correctly rounded, the same on every platform.
//!
//! Learning calls `exp` once per example, and a model taught in the page (WebAssembly, whose
//! `exp` is musl's) must equal the same lessons replayed by the native trainer (glibc's
//! `exp`), while the notebook's recipe must equal scikit-learn, which runs on glibc. musl's
//! and glibc's `exp` disagree in the last bit for one input in ten; glibc's is correctly
//! rounded for nearly all inputs. So this computes the correctly rounded value itself, with
//! IEEE additions and multiplications only (no fused multiply-add, whose absence or presence
//! differs between platforms), in double-double arithmetic: about 100 bits, enough that the
//! rounding is right unless `e^x` lies within 2^-100 of halfway between two doubles.

/// ln 2 in three parts, each the double nearest what the parts before it leave.
const LN2: [f64; 3] = [
    std::f64::consts::LN_2,
    2.319_046_813_846_299_6e-17,
    5.707_708_438_416_212e-34,
];

/// Halvings of the reduced argument before the series, undone by squarings after it.
const HALVINGS: i32 = 8;

/// Terms of the series for `e^r - 1` at `|r| <= ln 2 / 2^(HALVINGS + 1)`: the next is below
/// 2^-110 of the sum.
const TERMS: u32 = 11;

/// A number as the unevaluated sum of two doubles, `hi` the nearest double to the sum.
#[derive(Clone, Copy, Debug)]
struct Dd {
    hi: f64,
    lo: f64,
}

impl Dd {
    const fn new(hi: f64) -> Dd {
        Dd { hi, lo: 0.0 }
    }
}

/// `a + b` exactly, as a rounded sum and its error.
fn two_sum(a: f64, b: f64) -> Dd {
    let hi = a + b;
    let b_part = hi - a;
    let lo = (a - (hi - b_part)) + (b - b_part);
    Dd { hi, lo }
}

/// [`two_sum`] when `|a| >= |b|`.
fn quick_two_sum(a: f64, b: f64) -> Dd {
    let hi = a + b;
    Dd {
        hi,
        lo: b - (hi - a),
    }
}

/// `a` as two halves of 26 bits each (Veltkamp), so that their products are exact.
fn split(a: f64) -> (f64, f64) {
    let c = 134_217_729.0 * a; // 2^27 + 1
    let hi = c - (c - a);
    (hi, a - hi)
}

/// `a * b` exactly, as a rounded product and its error (Dekker).
fn two_prod(a: f64, b: f64) -> Dd {
    let hi = a * b;
    let (a1, a2) = split(a);
    let (b1, b2) = split(b);
    let lo = (((a1 * b1 - hi) + a1 * b2) + a2 * b1) + a2 * b2;
    Dd { hi, lo }
}

fn add(a: Dd, b: Dd) -> Dd {
    let s = two_sum(a.hi, b.hi);
    let t = two_sum(a.lo, b.lo);
    let s = quick_two_sum(s.hi, s.lo + t.hi);
    quick_two_sum(s.hi, s.lo + t.lo)
}

fn mul(a: Dd, b: Dd) -> Dd {
    let p = two_prod(a.hi, b.hi);
    quick_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi))
}

fn div(a: Dd, b: f64) -> Dd {
    let q1 = a.hi / b;
    let p = two_prod(q1, b);
    let r = two_sum(a.hi, -p.hi);
    let q2 = (r.hi + (r.lo - p.lo + a.lo)) / b;
    quick_two_sum(q1, q2)
}

/// `e^x` correctly rounded to nearest (see the module's doc).
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    // Beyond these the result rounds to infinity or to zero.
    if x > 709.79 {
        return f64::INFINITY;
    }
    if x < -745.14 {
        return 0.0;
    }
    // x = k ln 2 + r, |r| <= ln 2 / 2, r to about 150 bits.
    let k = (x * std::f64::consts::LOG2_E).round();
    let p1 = two_prod(k, LN2[0]);
    let p2 = two_prod(k, LN2[1]);
    let r = two_sum(x, -p1.hi);
    let r = add(
        Dd {
            hi: r.hi,
            lo: r.lo - p1.lo,
        },
        Dd {
            hi: -p2.hi,
            lo: -p2.lo,
        },
    );
    let r = quick_two_sum(r.hi, r.lo - k * LN2[2]);

    // e^r - 1 by its series at r / 2^HALVINGS, then (1 + m)^2 - 1 = m (2 + m) to undo the
    // halvings: kept as e^r - 1 so that no bits are lost to the leading 1.
    let scale = f64::powi(2.0, -HALVINGS);
    let h = Dd {
        hi: r.hi * scale,
        lo: r.lo * scale,
    };
    let mut series = Dd::new(1.0);
    for n in (2..=TERMS).rev() {
        series = add(Dd::new(1.0), div(mul(series, h), f64::from(n)));
    }
    let mut minus_one = mul(h, series);
    for _ in 0..HALVINGS {
        minus_one = mul(minus_one, add(Dd::new(2.0), minus_one));
    }
    let m = add(Dd::new(1.0), minus_one);
    scale_by_power_of_two(m, k as i32)
}

/// `(m.hi + m.lo) * 2^k` rounded to nearest, `m` in [0.5, 2) with `m.hi` the nearest double
/// to the sum.
fn scale_by_power_of_two(m: Dd, k: i32) -> f64 {
    let power = |e: i32| f64::from_bits(((e + 1023) as u64) << 52);
    if k >= -1021 {
        // A normal result: scaling is exact (or overflows to infinity, as it should).
        return if k > 1023 {
            m.hi * power(1023) * power(k - 1023)
        } else {
            m.hi * power(k)
        };
    }
    // A subnormal result: count it in units of the smallest subnormal, 2^-1074, and round
    // that count once, from both parts (rounding m.hi first would round twice).
    let shift = k + 1074;
    let units = |v: f64| v * f64::powi(2.0, shift);
    let (hi, lo) = (units(m.hi), units(m.lo));
    let whole = hi.floor();
    let beyond_half = (hi - whole) - 0.5;
    let round_up = beyond_half > -lo || (beyond_half == -lo && whole % 2.0 == 1.0);
    let count = whole + if round_up { 1.0 } else { 0.0 };
    f64::from_bits(count as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_edge_values() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1.0), std::f64::consts::E);
        assert_eq!(exp(-1.0), 0.367_879_441_171_442_33);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(709.0), 8.218_407_461_554_972e307);
        assert_eq!(exp(-800.0), 0.0);
        assert_eq!(exp(-745.0), 5e-324);
        assert_eq!(exp(-740.0), 4.2e-322);
        assert_eq!(exp(-708.5), 2.006_132_305_331_306e-308);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
    }
}
