namespace SegaLearn.Worker;

/// <summary>
/// A worker's own settings (bound from configuration section <c>SegaLearn:Worker</c> or <c>SegaLearn__Worker__*</c>
/// variables): its name in logs, the thread count of its kernels (their backend is the job's), how many assignments it takes at
/// once (credits: 2 keeps the next block queued while one computes), and how often and how long it greets a
/// coordinator that has not answered yet.
/// </summary>
public sealed record WorkerSettings
{
    public string Name { get; init; } = Environment.MachineName;

    public int? Threads { get; init; }

    public int Credits { get; init; } = 2;

    /// <summary>
    /// Whether a worker on the coordinator's machine exchanges tensors through shared memory (the fast path). Off, it
    /// uses TCP as a worker on another machine does, peer reduction included.
    /// </summary>
    public bool SharedMemory { get; init; } = true;

    /// <summary>The port of the worker's peer listener for peer reduction (0: any free port).</summary>
    public int PeerPort { get; init; }

    public TimeSpan HelloInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to greet a coordinator that offers no job before giving up.</summary>
    public TimeSpan OfferTimeout { get; init; } = TimeSpan.FromMinutes(2);
}
