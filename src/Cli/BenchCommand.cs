using System.CommandLine;
using SegaLearn.Cli.Bench;

namespace SegaLearn.Cli;

/// <summary>
/// <c>segalearn bench WORKLOAD</c>: runs one workload of shared/BENCHMARKS.md (seed 42, float32, medians) and prints
/// one line <c>RESULT {json}</c> with the field names of the PyTorch yardstick, bench/torch_bench.py.
/// </summary>
internal static class BenchCommand
{
    private static readonly Argument<string> Workload = new("workload")
    {
        Description = string.Join(" | ", BenchWorkloads.All.Select(w => w.Name)) + ": " + string.Join("; ", BenchWorkloads.All.Select(w => w.Description)),
    };

    private static readonly Option<int> Threads = new("--threads") { Description = "threads for the kernels (the yardstick's default: 1)", DefaultValueFactory = _ => 1 };
    private static readonly Option<string> BackendName = new("--backend") { Description = "compute backend: " + string.Join(", ", Backends.Names), DefaultValueFactory = _ => "simd" };
    private static readonly Option<int?> Size = new("--size") { Description = "gemm: matrix size n (default 4096)" };
    private static readonly Option<int?> Epochs = new("--epochs") { Description = "fmnist, seed, wide: epochs (default 5, 3, 2)" };
    private static readonly Option<string?> Data = new("--data") { Description = "fmnist, seed: directory of the Fashion-MNIST IDX files (default " + SegaLearn.Data.FashionMnist.DefaultDirectory + ")" };
    private static readonly Option<double?> RegLambda = new("--reg-lambda") { Description = "seed: L2 term of the loss (default 0.01, the seed's)" };
    private static readonly Option<double?> WeightDecay = new("--weight-decay") { Description = "seed: Adam's own decay (default 0.01, the seed's)" };
    private static readonly Option<int> Warm = new("--warm") { Description = "tiny: in-process repeats after the cold run", DefaultValueFactory = _ => 5 };
    private static readonly Option<int?> WorkerProcesses = new("--worker-processes") { Description = "dist: worker processes N (default 2); N = 1 runs too, for the efficiency" };
    private static readonly Option<int?> Reps = new("--reps")
    {
        Description = "gemm: timed repetitions (default 5); dist: N=1 and N runs, alternating, whose medians are reported (default 1)",
    };

    public static Command Create()
    {
        var command = new Command("bench", "Run a benchmark workload and print RESULT {json}, comparable with bench/torch_bench.py.")
        {
            Workload, Threads, BackendName, Size, Epochs, Data, Warm, Reps, WorkerProcesses, RegLambda, WeightDecay,
        };
        command.SetAction(Execute);
        return command;
    }

    private static int Execute(ParseResult parse)
    {
        var workload = BenchWorkloads.Find(parse.GetValue(Workload)!);
        var threads = OptionParsing.Positive(parse.GetValue(Threads), "--threads");
        var size = parse.GetValue(Size) is { } s ? OptionParsing.Positive(s, "--size") : (int?)null;
        var epochs = parse.GetValue(Epochs) is { } e ? OptionParsing.Positive(e, "--epochs") : (int?)null;
        var warm = OptionParsing.NonNegative(parse.GetValue(Warm), "--warm");
        var reps = parse.GetValue(Reps) is { } r ? OptionParsing.Positive(r, "--reps") : (int?)null;
        var backend = Backends.Use(parse.GetValue(BackendName)!, threads);
        var processes = parse.GetValue(WorkerProcesses) is { } n ? OptionParsing.Positive(n, "--worker-processes") : (int?)null;
        var regLambda = parse.GetValue(RegLambda) is { } l ? OptionParsing.NonNegative(l, "--reg-lambda") : (double?)null;
        var weightDecay = parse.GetValue(WeightDecay) is { } d ? OptionParsing.NonNegative(d, "--weight-decay") : (double?)null;
        var settings = new BenchSettings(backend, threads, size, epochs, parse.GetValue(Data), warm, reps, processes, regLambda, weightDecay);
        var result = new BenchResult();
        workload.Run(settings, result);
        result.Add("system", "segalearn-" + backend.Name)
            .Add("workload", workload.Name)
            .Add("threads", threads)
            .Add("backend", backend.Describe())
            .Add("peak_rss_mb", ProcessStats.PeakRssMegabytes())
            .Add("process_s_so_far", ProcessStats.SecondsSinceStart());
        Console.WriteLine(result.ToLine());
        return ExitCodes.Success;
    }
}
