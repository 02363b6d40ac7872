using System.Security.Cryptography;
using SegaLearn.Coordinator;
using SegaLearn.Data;

namespace SegaLearn.Cli.Bench;

/// <summary>
/// W-DIST: W-FMNIST (global batch 128 in microbatches of 128/N, Adam, 5 epochs) on a coordinator in this process and
/// N local worker processes of one thread each, run for N = 1 and then N so the scaling efficiency
/// rate(N) / (N·rate(1)) and the parameters' identity come from the same invocation.
/// </summary>
internal sealed class DistributedWorkload : BenchWorkload
{
    private const int BatchSize = 128;

    public override string Name => "dist";

    public override string Description => "W-DIST: W-FMNIST on 1 and N (--worker-processes) local worker processes of 1 thread, global batch 128";

    public override void Run(BenchSettings settings, BenchResult result)
    {
        var processes = settings.WorkerProcesses ?? 2;
        var spec = settings.DataDirectory ?? DataSources.FashionMnistName;
        var data = PreparedData.Load(spec, null, 42, 0.2);
        var context = new TrainingRunContext(data, spec, null, 42, 0.2);
        var microbatch = BatchSize / processes;

        // N=1 and N alternate, so that a slow stretch of the shared machine hits both; the medians are reported.
        var ones = new List<Measured>();
        var manys = new List<Measured>();
        for (var r = 0; r < (settings.Reps ?? 1); r++)
        {
            ones.Add(Train(context, settings, 1, microbatch));
            manys.Add(processes == 1 ? ones[^1] : Train(context, settings, processes, microbatch));
        }

        var one = Median(ones);
        var many = Median(manys);
        var hashes = ones.Concat(manys).Select(m => m.ParametersSha256).Distinct().Count();
        result.Add("world", processes)
            .Add("repeats", ones.Count)
            .Add("samples_per_s_runs", manys.Select(m => data.Train.Rows / m.SecondsPerEpoch).ToArray())
            .Add("samples_per_s_world1_runs", ones.Select(m => data.Train.Rows / m.SecondsPerEpoch).ToArray())
            .Add("threads_per_worker", 1)
            .Add("microbatch", microbatch)
            .Add("epoch_s", many.EpochSeconds)
            .Add("s_per_epoch", many.SecondsPerEpoch)
            .Add("samples_per_s", data.Train.Rows / many.SecondsPerEpoch)
            .Add("samples_per_s_world1", data.Train.Rows / one.SecondsPerEpoch)
            .Add("efficiency", one.SecondsPerEpoch / (processes * many.SecondsPerEpoch))
            .Add("test_accuracy", many.Accuracy)
            .Add("bytes_per_step", many.BytesPerStep)
            .Add("step_ms", many.StepMilliseconds)
            .Add("compute_ms", many.ComputeMilliseconds)
            .Add("transfer_ms", many.TransferMilliseconds)
            .Add("reduce_ms", many.ReduceMilliseconds)
            .Add("optimizer_ms", many.OptimizerMilliseconds)
            .Add("step_ms_world1", one.StepMilliseconds)
            .Add("optimizer_ms_world1", one.OptimizerMilliseconds)
            .Add("params_sha256", many.ParametersSha256)
            .Add("params_identical_world1", hashes == 1);
    }

    /// <summary>The run with the median seconds per epoch (the lower middle one of an even count).</summary>
    private static Measured Median(List<Measured> runs) => runs.OrderBy(m => m.SecondsPerEpoch).ElementAt((runs.Count - 1) / 2);

    private static Measured Train(TrainingRunContext context, BenchSettings settings, int processes, int microbatch)
    {
        var train = context.Data.Train;
        var (network, optimizer) = FashionMnistWorkload.Model(settings);
        var steps = new List<StepMetrics>();
        IReadOnlyList<Training.EpochMetrics> epochs;
        using (var engine = ClusterEngines.LocalProcesses(context, processes, threadsEach: 1))
        {
            engine.StepMeasured += steps.Add;
            epochs = network.Train(
                train.Features, train.Labels, optimizer, settings.Epochs ?? 5, BatchSize, earlyStoppingThreshold: 0, microbatchSize: microbatch,
                engine: engine, evaluateTrainingSet: false).Epochs;
        }

        var seconds = epochs.Select(e => e.Seconds).ToArray();
        var steady = epochs.Count > 1 ? steps.Skip(steps.Count / epochs.Count).ToArray() : steps.ToArray();
        return new Measured(
            seconds,
            ProcessStats.SteadyEpochMedian(seconds),
            network.Evaluate(context.Data.Test.Features, context.Data.Test.Labels).Accuracy,
            ProcessStats.Median(steady.Select(s => (double)(s.BytesIn + s.BytesOut)).ToArray()),
            ProcessStats.Median(steady.Select(s => s.WallMilliseconds).ToArray()),
            ProcessStats.Median(steady.Select(s => s.ComputeMilliseconds).ToArray()),
            ProcessStats.Median(steady.Select(s => s.TransferMilliseconds).ToArray()),
            ProcessStats.Median(steady.Select(s => s.ReduceMilliseconds).ToArray()),
            ProcessStats.Median(steady.Select(s => s.OptimizerMilliseconds).ToArray()),
            Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(network.Parameters.AsSpan()))));
    }

    private sealed record Measured(
        double[] EpochSeconds,
        double SecondsPerEpoch,
        double Accuracy,
        double BytesPerStep,
        double StepMilliseconds,
        double ComputeMilliseconds,
        double TransferMilliseconds,
        double ReduceMilliseconds,
        double OptimizerMilliseconds,
        string ParametersSha256);
}
