namespace SegaLearn.Training;

/// <summary>
/// Checkpointing of a training run: every <see cref="EverySteps"/> optimizer steps the full trainer state is written
/// atomically to <c>checkpoint.safetensors</c> in <see cref="Directory"/>. With <see cref="Resume"/>, training starts
/// from that file when it exists and continues bit for bit as if it had never stopped.
/// </summary>
public sealed record CheckpointOptions(string Directory, int EverySteps, bool Resume = false)
{
    public const string FileName = "checkpoint.safetensors";

    /// <summary>The folder of <see cref="FileName"/>.</summary>
    public string Directory { get; init; } = !string.IsNullOrWhiteSpace(Directory)
        ? Directory
        : throw new ArgumentException($"{nameof(Directory)} must name a folder", nameof(Directory));

    /// <summary>Optimizer steps between two checkpoints; &gt;= 1.</summary>
    public int EverySteps { get; init; } = EverySteps >= 1
        ? EverySteps
        : throw new ArgumentOutOfRangeException(nameof(EverySteps), EverySteps, $"{nameof(EverySteps)} must be >= 1, got {EverySteps}");

    public string FilePath => Path.Combine(Directory, FileName);
}
