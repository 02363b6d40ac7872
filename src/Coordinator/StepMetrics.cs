namespace SegaLearn.Coordinator;

/// <summary>
/// Where one distributed step's time went, in milliseconds: the slowest block's compute on its worker, the rest of
/// the wait for results (transfer and queueing), the tree reduction on the coordinator, the whole gradient step, and
/// the trainer's time between steps (the optimizer and scheduler update); bytes of tensors sent to and received from
/// remote workers; blocks reassigned or rejected. Remote workers' compute is counted in transfer.
/// </summary>
public sealed record StepMetrics(
    int Epoch,
    int Step,
    int Blocks,
    int Workers,
    double ComputeMilliseconds,
    double TransferMilliseconds,
    double ReduceMilliseconds,
    double WallMilliseconds,
    long BytesOut,
    long BytesIn,
    int Reassigned,
    int Rejected,
    int Duplicates)
{
    public double OptimizerMilliseconds { get; init; }

    /// <summary>Whether the step's gradient was summed by the workers among themselves (peer reduction), else here (the star).</summary>
    public bool PeerReduced { get; init; }

    /// <summary>When the step's gradient was reduced (wall clock, for matching against outside events such as a crash).</summary>
    public DateTimeOffset CompletedAt { get; init; } = DateTimeOffset.UtcNow;
}
