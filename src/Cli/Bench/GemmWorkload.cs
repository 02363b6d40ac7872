using System.Diagnostics;

namespace SegaLearn.Cli.Bench;

/// <summary>GEMM: C = A·B for n x n float32 (n = --size, 4096 by default), one warm-up, median of --reps timed calls; GFLOP/s = 2n³/s.</summary>
internal sealed class GemmWorkload : BenchWorkload
{
    public override string Name => "gemm";

    public override string Description => "GEMM: n x n SGEMM (--size, default 4096), the yardstick's sgemm";

    public override void Run(BenchSettings settings, BenchResult result)
    {
        var n = settings.Size ?? 4096;
        var random = new DeterministicRandom(42);
        var a = new float[n * n];
        var b = new float[n * n];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = (float)random.NextGaussian();
        }

        for (var i = 0; i < b.Length; i++)
        {
            b[i] = (float)random.NextGaussian();
        }

        var c = new float[n * n];
        settings.Backend.Gemm(false, false, n, n, n, a, b, c, 0f);
        var times = new List<double>();
        for (var r = 0; r < (settings.Reps ?? 5); r++)
        {
            var clock = Stopwatch.StartNew();
            settings.Backend.Gemm(false, false, n, n, n, a, b, c, 0f);
            times.Add(clock.Elapsed.TotalSeconds);
        }

        var median = ProcessStats.Median(times);
        result.Add("n", n)
            .Add("times_s", times)
            .Add("s_median", median)
            .Add("gflops", 2.0 * n * n * n / median / 1e9);
    }
}
