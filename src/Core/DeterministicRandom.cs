namespace SegaLearn;

/// <summary>
/// A small, fast random generator (xoshiro256** seeded through SplitMix64) whose streams are keyed by
/// tuples such as (seed, epoch) or (seed, epoch, step, sample). Everything random in training comes from
/// here, so results never depend on the .NET version, the thread that runs the code or the number of workers.
/// </summary>
public struct DeterministicRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public DeterministicRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A stream keyed by (seed, a).</summary>
    public DeterministicRandom(ulong seed, ulong a)
        : this(Key(seed, a))
    {
    }

    /// <summary>A stream keyed by (seed, a, b, c, d).</summary>
    public DeterministicRandom(ulong seed, ulong a, ulong b, ulong c = 0, ulong d = 0)
        : this(Key(Key(Key(Key(seed, a), b), c), d))
    {
    }

    /// <summary>Combines a key with one more component; distinct tuples give unrelated streams.</summary>
    public static ulong Key(ulong key, ulong component)
    {
        var x = key ^ (component + 0x9E3779B97F4A7C15UL + (key << 6) + (key >> 2));
        return SplitMix(ref x);
    }

    public ulong NextULong()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextULong() >> 40) * (1.0f / (1U << 24));

    /// <summary>Uniform integer in [0, bound), without modulo bias (Lemire's method).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var product = (ulong)(uint)(NextULong() >> 32) * (uint)bound;
        var low = (uint)product;
        if (low < (uint)bound)
        {
            var threshold = (uint)-bound % (uint)bound;
            while (low < threshold)
            {
                product = (ulong)(uint)(NextULong() >> 32) * (uint)bound;
                low = (uint)product;
            }
        }

        return (int)(product >> 32);
    }

    /// <summary>Standard normal (Box–Muller, one value per call so the stream position is easy to reason about).</summary>
    public double NextGaussian()
    {
        double u1;
        do
        {
            u1 = NextDouble();
        }
        while (u1 <= double.Epsilon);
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fills <paramref name="order"/> with a uniformly random permutation of 0..n-1 (Fisher–Yates).</summary>
    public void Permutation(Span<int> order)
    {
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
