//! Scanning text eight bytes at a time (SWAR) for bytes that need escaping: shared by the plain JSON writer
//! ([`crate::synth`]) and the AWS Proton YAML writer of the root crate. Each mask sets the high bit of every
//! byte it matches; borrows can also set it in a byte above a match, never in a word without one, so a mask is
//! exact as a yes/no answer for the word.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes equal to `b`.
pub fn eq(x: u64, b: u8) -> u64 {
    let y = x ^ (ONES * u64::from(b));
    y.wrapping_sub(ONES) & !y & HIGHS
}

/// Bytes below `b` (`b` at most 0x80).
pub fn below(x: u64, b: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(b)) & !x & HIGHS
}

/// Bytes of 0x7f and above (DEL and everything not ASCII).
pub fn del_or_high(x: u64) -> u64 {
    (x | (x & !HIGHS).wrapping_add(ONES)) & HIGHS
}

/// Whether any byte of `bytes` matches: `word` is the mask of eight bytes read little-endian, `byte` the same
/// test on one byte (for the last fewer than eight).
pub fn any(bytes: &[u8], word: impl Fn(u64) -> u64, byte: impl Fn(u8) -> bool) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if word(u64::from_le_bytes(w)) != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| byte(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every mask against its byte test, for every byte at every position of words otherwise clean or not.
    #[test]
    fn masks_agree_with_their_byte_tests() {
        type Case<'a> = (&'a dyn Fn(u64) -> u64, &'a dyn Fn(u8) -> bool);
        let cases: [Case<'_>; 4] = [
            (&|x| eq(x, b'"'), &|b| b == b'"'),
            (&|x| eq(x, b'{'), &|b| b == b'{'),
            (&|x| below(x, 0x20), &|b| b < 0x20),
            (&del_or_high, &|b| b >= 0x7f),
        ];
        for (word, byte) in cases {
            for len in 0..20 {
                for fill in [b'a', 0x00, 0xff] {
                    let base = vec![fill; len];
                    for at in 0..len {
                        for b in 0u8..=255 {
                            let mut s = base.clone();
                            s[at] = b;
                            let expected = s.iter().any(|&c| byte(c));
                            assert_eq!(
                                any(&s, word, byte),
                                expected,
                                "byte {b:#x} at {at} of {len} in {fill:#x}"
                            );
                        }
                    }
                }
            }
        }
    }
}
