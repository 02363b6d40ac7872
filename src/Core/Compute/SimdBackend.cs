using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SegaLearn.Compute;

/// <summary>
/// The accelerated backend, in the role of the seed's Numba backend: a packed, cache-blocked SGEMM with 6x32
/// (Vector512) and 6x16 (Vector256) FMA micro-kernels, with Vector128 and scalar fallbacks, fused element-wise
/// kernels, and threads over output tiles only. No kernel splits a sum over threads, and every width performs the
/// same operations in the same order for each result, so every result is bitwise the same whatever the thread count
/// and whatever the width the machine has. Steady-state calls allocate nothing.
/// </summary>
/// <remarks>
/// Several threads may call one instance at once (e.g. in-process workers): the first takes the helper threads,
/// the others compute on their own thread, which gives the same bits.
/// </remarks>
public sealed partial class SimdBackend : IComputeBackend
{
    private readonly VectorWidth _width;
    private readonly Lock _workersGate = new();
    private readonly Lock _runGate = new();
    private ComputeWorkers? _workers;
    private bool _disposed;

    /// <param name="threads">Threads for the kernels; all processors when null.</param>
    /// <param name="width">Forces a SIMD width (tests); <see cref="VectorWidth.Auto"/> takes the widest accelerated one.</param>
    public SimdBackend(int? threads = null, VectorWidth width = VectorWidth.Auto)
    {
        if (threads is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "threads must be a positive number");
        }

        if (width == VectorWidth.V512 && !SupportsV512)
        {
            throw new PlatformNotSupportedException("VectorWidth.V512 needs AVX-512F");
        }

        if (width == VectorWidth.V256 && !SupportsV256)
        {
            throw new PlatformNotSupportedException("VectorWidth.V256 needs AVX2 and FMA");
        }

        if (width == VectorWidth.V128 && !Vector128.IsHardwareAccelerated)
        {
            throw new PlatformNotSupportedException("VectorWidth.V128 needs 128-bit SIMD");
        }

        Threads = threads ?? Environment.ProcessorCount;
        _width = width != VectorWidth.Auto ? width : Widest;
        DensePanels = _width == VectorWidth.V512 && !HalvesVector512;
    }

    /// <summary>
    /// Whether the packed product makes an A panel that keeps most of its depths dense again (zeros where the skipped
    /// ones were), so that two such panels join the 12x32 Vector512 tile instead of the 6x32 one with indexed B loads.
    /// That pays where a 512-bit FMA is one operation, as on Intel's AVX-512 cores, and not where it is two 256-bit
    /// halves (AMD Zen 4), where the wider tile gains nothing and a densified panel only adds the skipped depths' work;
    /// the Vector256 and Vector128 paths have no wider tile to join. The sums are the same bits either way.
    /// </summary>
    internal bool DensePanels { get; init; }

    /// <summary>AMD Zen 4 (family 19h), which runs each 512-bit operation as two 256-bit halves.</summary>
    internal static bool HalvesVector512 { get; } = IsZen4();

    private static bool IsZen4()
    {
        if (!X86Base.IsSupported)
        {
            return false;
        }

        var (_, vendorB, vendorC, vendorD) = X86Base.CpuId(0, 0);
        var authenticAmd = vendorB == 0x68747541 && vendorD == 0x69746E65 && vendorC == 0x444D4163;
        var signature = X86Base.CpuId(1, 0).Eax;
        var baseFamily = (signature >> 8) & 0xF;
        var family = baseFamily == 0xF ? baseFamily + ((signature >> 20) & 0xFF) : baseFamily;
        return authenticAmd && family == 0x19;
    }

    /// <summary>The widest path this machine runs, which <see cref="VectorWidth.Auto"/> takes.</summary>
    internal static VectorWidth Widest =>
        SupportsV512 ? VectorWidth.V512
        : SupportsV256 ? VectorWidth.V256
        : Vector128.IsHardwareAccelerated ? VectorWidth.V128
        : VectorWidth.Scalar;

    /// <summary>Whether this machine runs the Vector512 path (AVX-512F, which implies FMA, and not turned off by the runtime).</summary>
    public static bool SupportsV512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported && SupportsV256;

    /// <summary>Whether this machine runs the Vector256 path (AVX2 and FMA on x86).</summary>
    public static bool SupportsV256 => Vector256.IsHardwareAccelerated && Fma.IsSupported;

    public string Name => "simd";

    /// <summary>The width in use (never <see cref="VectorWidth.Auto"/>).</summary>
    public VectorWidth Width => _width;

    public int Threads { get; }

    public string Describe() =>
        $"simd ({WidthName}{(Fma.IsSupported || AdvSimd.IsSupported ? string.Empty : ", software FMA")}{(FlushToZeroMode.IsSupported ? ", FTZ/DAZ" : string.Empty)}, " +
        $"{Threads} thread{(Threads == 1 ? string.Empty : "s")})";

    /// <summary>
    /// What decides the bits: the kernels' fixed order of operations (the same on every width: see
    /// <see cref="FixedOrder"/> and <see cref="ExpOperator"/>; products are fused everywhere, in hardware or
    /// exactly in software), whether they run in flush-to-zero mode, and the platform, whose C library computes the
    /// double exp and log of the binary cross-entropy. Neither the width nor the thread count is part of it.
    /// </summary>
    public string NumericIdentity =>
        $"simd fixed-order {(FlushToZeroMode.IsSupported ? "ftz" : "no-ftz")} {ReferenceBackend.Platform}";

    private string WidthName => _width switch
    {
        VectorWidth.V512 => "Vector512 FMA",
        VectorWidth.V256 => "Vector256 FMA",
        VectorWidth.V128 => "Vector128",
        _ => "scalar",
    };

    /// <summary>Whether Vector256 loops run (also below the Vector512 ones, for what is left).</summary>
    private bool Wide => _width is VectorWidth.V512 or VectorWidth.V256;

    public void ColumnSums(ReadOnlySpan<float> x, int rows, int cols, Span<float> sums)
    {
        using var mode = FlushToZeroMode.Enter();
        var destination = sums[..cols];
        if (rows == 0)
        {
            destination.Clear();
            return;
        }

        x[..cols].CopyTo(destination);
        if (rows == 1)
        {
            Denormals.Flush(destination);
        }

        for (var i = 1; i < rows; i++)
        {
            Add(destination, x.Slice(i * cols, cols));
        }
    }

    public void Multiply(Span<float> x, ReadOnlySpan<float> y)
    {
        using var mode = FlushToZeroMode.Enter();
        WidthLoop.Zip(_width, new MultiplyOperator(), x, y, x);
    }

    public void Scale(Span<float> x, float scale)
    {
        using var mode = FlushToZeroMode.Enter();
        WidthLoop.Map(_width, new ScaleOperator(scale), x, x);
    }

    public void Add(Span<float> x, ReadOnlySpan<float> y) => Add(x, y, x);

    public unsafe void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> sum)
    {
        using var mode = FlushToZeroMode.Enter();
        var length = x.Length;
        CheckLengths(length, y.Length, sum.Length, length, 0);
        fixed (float* px = x, py = y, ps = sum)
        {
            RangeJob<SumRange>.Run(this, new SumRange(_width, px, py, ps), length, forkable: !HelpersResting);
        }
    }

    public unsafe void AddBFloat16(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> sum)
    {
        var length = x.Length;
        CheckLengths(length, y.Length, sum.Length, length, 0);
        fixed (float* px = x, py = y, ps = sum)
        {
            RangeJob<BFloat16SumRange>.Run(this, new BFloat16SumRange(_width, px, py, ps), length, forkable: !HelpersResting);
        }
    }

    public void RoundToBFloat16(ReadOnlySpan<float> x, Span<float> destination)
    {
        if (destination.Length < x.Length)
        {
            throw new ArgumentException($"{x.Length} values cannot be rounded into {destination.Length}", nameof(destination));
        }

        WidthLoop.Map(_width, new BFloat16RoundOperator(), x, destination);
    }

    public void ScaleAdd(Span<float> x, float scale, ReadOnlySpan<float> y, float alpha)
    {
        using var mode = FlushToZeroMode.Enter();
        WidthLoop.Zip(_width, new ScaleAddOperator(scale, alpha), x, y, x);
    }

    public double SumOfSquares(ReadOnlySpan<float> x)
    {
        using var mode = FlushToZeroMode.Enter();
        return FixedOrder.SumOfSquares(_width, x);
    }

    /// <summary>
    /// Runs <paramref name="job"/> over the helper threads when <paramref name="parallel"/> and no other caller holds
    /// them, otherwise on the calling thread alone: several threads may call one backend (in-process workers), and the
    /// ones that find the helpers busy compute by themselves, which gives the same bits.
    /// </summary>
    private void Execute(IThreadedJob job, bool parallel)
    {
        var workers = parallel ? Workers : null;
        if (workers is null || !_runGate.TryEnter())
        {
            job.Execute(null);
            return;
        }

        try
        {
            job.Execute(workers);
        }
        finally
        {
            _runGate.Exit();
        }
    }

    /// <summary>The helper threads started so far (tests).</summary>
    internal IReadOnlyList<Thread> HelperThreads
    {
        get
        {
            lock (_workersGate)
            {
                return _workers?.HelperThreads ?? [];
            }
        }
    }

    /// <summary>Stops the helper threads; the backend still computes afterwards, on the calling thread alone.</summary>
    public void Dispose()
    {
        ComputeWorkers? workers;
        lock (_workersGate)
        {
            _disposed = true;
            workers = _workers;
            _workers = null;
        }

        workers?.Dispose();
    }

    public void Rest()
    {
        lock (_workersGate)
        {
            _workers?.Rest();
        }
    }

    /// <summary>
    /// Whether the helpers were sent to <see cref="Rest"/> and no kernel has woken them since. A distributed step's
    /// reduction is such a sum: woken for it, a helper arrived too late to share its one pass and then spun on the
    /// core the trainer's thread was waking on (W-DIST N=2, three alternating A/B rounds: reduce 0.08–0.09 → 0.04–0.055 ms,
    /// serial part of a step median 0.48 → 0.42 ms).
    /// </summary>
    internal bool HelpersResting => Volatile.Read(ref _workers) is { IsResting: true };

    /// <summary>The helper threads, created on first use; null when running on one thread.</summary>
    private ComputeWorkers? Workers
    {
        get
        {
            if (Threads == 1)
            {
                return null;
            }

            lock (_workersGate)
            {
                return _disposed ? null : _workers ??= new ComputeWorkers(Threads);
            }
        }
    }
}
