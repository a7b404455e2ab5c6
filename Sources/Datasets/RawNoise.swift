import Numerics

/// The U[0, 1) pixel noise of `PreprocessingMethod.rawNoise`.
///
/// Exactly (so other implementations can reproduce it): the image's key is
/// `RawNoise.key(image:count:seed:)`, a 64-bit hash of the run seed and the image's bytes; a
/// `SeededRandom(seed: key)` then gives one 64-bit number r per two bytes in NHWC order: the
/// first byte's noise is `Float(r >> 40) · 2⁻²⁴`, the second's `Float(r & 0xFFFFFF) · 2⁻²⁴`
/// (24 bits each, exactly representable, in [0, 1)); an odd last byte uses only the first.
///
/// Keying by content rather than by position means the noise of an image is the same in every
/// batch, epoch, subset (T_frac, train limit, validation split) and model of a run: the DMN's
/// density matrices and the classifier see the same noisy image, as in the authors' code,
/// which adds `rand` to each image once. Two byte-identical images get the same noise.
enum RawNoise {
    /// FNV-1a-style hash over the bytes taken eight at a time (little-endian words, so the
    /// same on every platform), seeded by `seed`, finished by SplitMix64's mixer.
    @inline(__always)
    static func key(image p: UnsafePointer<UInt8>, count: Int, seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ (seed &* 0x9E37_79B9_7F4A_7C15)
        let raw = UnsafeRawPointer(p)
        var i = 0
        while i &+ 8 <= count {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = (h ^ w) &* 0x100_0000_01B3
            h ^= h >> 31
            i &+= 8
        }
        while i < count { h = (h ^ UInt64(p[i])) &* 0x100_0000_01B3; i &+= 1 }
        var z = h &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Adds the image's noise to `out[0..<count]` (the image's floats, already filled).
    @inline(__always)
    static func add(to out: UnsafeMutablePointer<Float>, image p: UnsafePointer<UInt8>, count: Int, seed: UInt64) {
        var rng = SeededRandom(seed: key(image: p, count: count, seed: seed))
        var k = 0
        while k &+ 1 < count {
            let r = rng.next()
            out[k] += Float(r >> 40) * 0x1p-24
            out[k &+ 1] += Float(r & 0xFF_FFFF) * 0x1p-24
            k &+= 2
        }
        if k < count { out[k] += Float(rng.next() >> 40) * 0x1p-24 }
    }
}
