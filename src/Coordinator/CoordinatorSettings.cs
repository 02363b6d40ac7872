namespace SegaLearn.Coordinator;

/// <summary>
/// The coordinator's settings (configuration section <c>SegaLearn:Coordinator</c>, variables
/// <c>SegaLearn__Coordinator__*</c>): where the data plane listens and how many invalid results a worker may return
/// before it is removed.
/// </summary>
public sealed record CoordinatorSettings
{
    /// <summary>Address the data plane binds to; remote workers connect to the host of the coordinator's remoting address.</summary>
    public string DataPlaneBind { get; init; } = "0.0.0.0";

    /// <summary>Data plane port; 0 picks a free one, advertised in the job offer.</summary>
    public int DataPlanePort { get; init; }

    /// <summary>A worker returning this many invalid gradients (NaN/Inf, wrong length) is removed.</summary>
    public int MaxStrikes { get; init; } = 3;

    /// <summary>
    /// Whether workers on other machines reduce among themselves (parameters relayed down the workers, gradient shards
    /// summed by their owners) instead of each sending its gradient here. Used when every worker of the job is such a
    /// worker and there are at least two; off, or otherwise, every worker talks to the coordinator only (the star).
    /// </summary>
    public bool PeerReduction { get; init; } = true;
}
