namespace SegaLearn.Training;

/// <summary>
/// Checkpointing of a training run: every <see cref="EverySteps"/> optimizer steps the full trainer state is written
/// atomically to <c>checkpoint.safetensors</c> in <see cref="Directory"/>. With <see cref="Resume"/>, training starts
/// from that file when it exists and continues bit for bit as if it had never stopped.
/// </summary>
public sealed record CheckpointOptions(string Directory, int EverySteps, bool Resume = false)
{
    public const string FileName = "checkpoint.safetensors";

    public string FilePath => Path.Combine(Directory, FileName);
}
