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

    /// <summary>
    /// Where peer reduction may run and the job has at most this many workers, it is timed against the star and the
    /// faster is kept (<see cref="TopologyChooser"/>); 0 keeps peer reduction. The star's link carries every worker's
    /// gradient in and parameters out: at two workers in bfloat16 that is 2.0 P a step, beyond them more than peer
    /// reduction's budget of 2.3 P.
    /// </summary>
    public int TimedTopologyMaxWorkers { get; init; } = 2;

    /// <summary>Steps of each topology timed before choosing (<see cref="TopologyChooser.ProbeSteps"/>).</summary>
    public int TopologyProbeSteps { get; init; } = 32;

    /// <summary>Steps run with the faster topology before both are timed again (<see cref="TopologyChooser.SettleSteps"/>).</summary>
    public int TopologySettleSteps { get; init; } = 4096;

    /// <summary>Checks the values a configuration may have set; the message names the setting as its environment variable.</summary>
    /// <exception cref="BadInputException">A setting is out of range.</exception>
    public CoordinatorSettings Validate()
    {
        Check(MaxStrikes, 1, nameof(MaxStrikes));
        Check(TimedTopologyMaxWorkers, 0, nameof(TimedTopologyMaxWorkers));
        Check(TopologyProbeSteps, 1, nameof(TopologyProbeSteps));
        Check(TopologySettleSteps, 1, nameof(TopologySettleSteps));
        return this;
    }

    private static void Check(int value, int least, string name)
    {
        if (value < least)
        {
            throw new BadInputException($"SegaLearn__Coordinator__{name} must be at least {least}, got {value}");
        }
    }
}
