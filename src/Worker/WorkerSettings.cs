namespace SegaLearn.Worker;

/// <summary>
/// A worker's own settings (bound from configuration section <c>SegaLearn:Worker</c> or <c>SegaLearn__Worker__*</c>
/// variables): its name in logs, the backend and thread count of its kernels, and how many assignments it takes at
/// once (credits: 2 keeps the next block queued while one computes).
/// </summary>
public sealed record WorkerSettings
{
    public string Name { get; init; } = Environment.MachineName;

    public string Backend { get; init; } = SegaLearn.Backends.Current.Name;

    public int? Threads { get; init; }

    public int Credits { get; init; } = 2;
}
