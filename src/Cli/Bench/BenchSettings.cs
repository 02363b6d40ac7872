using SegaLearn.Compute;

namespace SegaLearn.Cli.Bench;

/// <summary>What <c>segalearn bench</c> was asked for; null sizes and epochs mean the workload's own default.</summary>
internal sealed record BenchSettings(
    IComputeBackend Backend, int Threads, int? Size, int? Epochs, string? DataDirectory, int Warm, int? Reps, int? WorkerProcesses = null, double? RegLambda = null, double? WeightDecay = null);
