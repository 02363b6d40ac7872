namespace SegaLearn.Coordinator;

/// <summary>How a step's gradients reach the coordinator when its workers are on other machines.</summary>
public enum ReductionTopology
{
    /// <summary>Workers add up shards among themselves and send the sums; the new parameters are relayed down the workers.</summary>
    Peer,

    /// <summary>Every worker sends its gradient to the coordinator and gets the parameters from it.</summary>
    Star,
}
