//! `e^x` with the bits of glibc's `exp` on x86-64 with FMA, on every platform.
//!
//! Learning calls `exp` once per example. The notebook's recipe must equal scikit-learn,
//! whose loss calls the C library's `exp`: glibc's, on the Linux machines the golden files
//! come from, which picks its FMA build on any x86-64 of the last decade. And a model taught
//! in the page (WebAssembly, whose `exp` is musl's) must equal the same lessons replayed by
//! the native trainer. Measured on ten million inputs in [-40, 40], musl's `exp` differs
//! from glibc's for about one in ten, and a correctly rounded `exp` for one in 1,300, which
//! was enough to change 59,311 of the notebook's 97,010 weights in their last bits.
//!
//! So this is glibc's algorithm (Szabolcs Nagy's, from Arm's optimized routines), with its
//! table ([`TABLE`], written by `scripts/gen_exp_table.py`), its polynomial and its
//! constants, and a fused multiply-add wherever the FMA build has one: `f64::mul_add` is
//! exactly rounded on every platform (in hardware or in software), so the bits are the same
//! everywhere. Which operations the FMA build fuses was found by measurement: with these,
//! 18.2 million inputs (in [-40, 40], near the edges of overflow and underflow, tiny and huge)
//! give glibc's bits, every one.
//!
//! `x = (k / 128) ln 2 + r` with `|r| <= ln 2 / 256`; `e^x = 2^(k/128) e^r`, with `2^(k/128)`
//! from the table and `e^r - 1` from a polynomial of degree 5.

mod table;

use table::TABLE;

/// 128 / ln 2.
const INV_LN2_N: f64 = 184.664_965_233_787_3;
/// -ln 2 / 128, in two parts.
const NEG_LN2_HI_N: f64 = -0.005_415_212_348_111_709;
const NEG_LN2_LO_N: f64 = -1.286_402_311_163_834_6e-14;
/// 1.5 * 2^52: adding it rounds to an integer.
const SHIFT: f64 = 6_755_399_441_055_744.0;
/// `e^r - 1 - r ~= r^2 (C2 + C3 r) + r^4 (C4 + C5 r)`.
const C2: f64 = 0.499_999_999_999_967_86;
const C3: f64 = 0.166_666_666_666_658_86;
const C4: f64 = 0.041_666_680_841_067_4;
const C5: f64 = 0.008_333_335_853_059_549;

fn top12(x: f64) -> u32 {
    (x.to_bits() >> 52) as u32
}

/// `e^x`, as glibc's `exp` on x86-64 with FMA gives it.
pub fn exp(x: f64) -> f64 {
    let tiny = top12(f64::from_bits(0x3c90_0000_0000_0000)); // 2^-54
    let mut abstop = top12(x) & 0x7ff;
    if abstop.wrapping_sub(tiny) >= top12(512.0) - tiny {
        if abstop.wrapping_sub(tiny) >= 0x8000_0000 {
            // |x| < 2^-54: e^x rounds to 1 + x.
            return 1.0 + x;
        }
        if abstop >= top12(1024.0) {
            if x == f64::NEG_INFINITY {
                return 0.0;
            }
            if abstop >= top12(f64::INFINITY) {
                return 1.0 + x;
            }
            return if x.is_sign_negative() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        // 512 <= |x| < 1024: the scale below may leave the range of doubles.
        abstop = 0;
    }
    let shifted = INV_LN2_N.mul_add(x, SHIFT);
    let ki = shifted.to_bits();
    let kd = shifted - SHIFT;
    let r = kd.mul_add(NEG_LN2_LO_N, kd.mul_add(NEG_LN2_HI_N, x));
    let index = 2 * (ki % 128) as usize;
    let top = ki << 45;
    let tail = f64::from_bits(TABLE[index]);
    let sbits = TABLE[index + 1].wrapping_add(top);
    let r2 = r * r;
    let tmp = (r2 * r2).mul_add(r.mul_add(C5, C4), r2.mul_add(r.mul_add(C3, C2), tail + r));
    if abstop == 0 {
        return beyond_512(tmp, sbits, ki);
    }
    let scale = f64::from_bits(sbits);
    scale.mul_add(tmp, scale)
}

/// `scale (1 + tmp)` when the scale's exponent overflowed (`x > 0`) or must be brought into
/// the subnormal range with one rounding (`x < 0`).
fn beyond_512(tmp: f64, sbits: u64, ki: u64) -> f64 {
    if ki & 0x8000_0000 == 0 {
        let scale = f64::from_bits(sbits.wrapping_sub(1009 << 52));
        return f64::from_bits(0x7f00_0000_0000_0000) * scale.mul_add(tmp, scale);
        // 2^1009
    }
    let scale = f64::from_bits(sbits.wrapping_add(1022 << 52));
    // Not fused in glibc's build, as measured.
    let mut y = scale + scale * tmp;
    if y < 1.0 {
        // Rounded to the precision left below 2^-1022 before scaling, as one rounding.
        let lo = scale - y + scale * tmp;
        let hi = 1.0 + y;
        let lo = 1.0 - hi + y + lo;
        y = (hi + lo) - 1.0;
        if y == 0.0 {
            y = 0.0;
        }
    }
    f64::from_bits(0x0010_0000_0000_0000) * y // 2^-1022
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_the_reference_bits() {
        assert_eq!(INV_LN2_N.to_bits(), 0x40671547652b82fe);
        assert_eq!(NEG_LN2_HI_N.to_bits(), 0xbf762e42fefa0000);
        assert_eq!(NEG_LN2_LO_N.to_bits(), 0xbd0cf79abc9e3b3a);
        assert_eq!(C2.to_bits(), 0x3fdffffffffffdbd);
        assert_eq!(C3.to_bits(), 0x3fc555555555543c);
        assert_eq!(C4.to_bits(), 0x3fa55555cf172b91);
        assert_eq!(C5.to_bits(), 0x3f81111167a4d017);
    }

    #[test]
    fn edge_values() {
        // glibc 2.36's `exp` on x86-64 with FMA.
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1.0), std::f64::consts::E);
        assert_eq!(exp(-1.0), 0.367_879_441_171_442_33);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(709.0), 8.218_407_461_554_972e307);
        assert_eq!(exp(-800.0), 0.0);
        assert_eq!(exp(-745.0), 5e-324);
        assert_eq!(exp(-740.0), 4.2e-322);
        assert_eq!(exp(-704.366_329_790_908_6), 1.251_957_924_231_563_8e-306);
        assert_eq!(exp(1e-300), 1.0);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
    }

    /// Where this machine's C library is glibc running its FMA build, every bit matches.
    #[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
    #[test]
    fn the_c_library_agrees_on_a_million_inputs() {
        if !(std::is_x86_feature_detected!("fma") && std::is_x86_feature_detected!("avx2")) {
            eprintln!("no FMA here: glibc runs another build of exp; comparison skipped");
            return;
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut differ = Vec::new();
        for n in 0..1_000_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let width = [80.0, 1500.0, 1e-10][n % 3];
            let x = (unit - 0.5) * width;
            if exp(x).to_bits() != x.exp().to_bits() {
                differ.push(x);
            }
        }
        assert!(
            differ.is_empty(),
            "{} differ, first {:?}",
            differ.len(),
            &differ[..differ.len().min(5)]
        );
    }
}
