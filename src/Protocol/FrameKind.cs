namespace SegaLearn.Protocol;

/// <summary>What a data-plane frame carries.</summary>
public enum FrameKind : byte
{
    /// <summary>Worker → coordinator, first frame: job, worker id and the token proof (<see cref="JobToken.ComputeProof"/>) as payload.</summary>
    Hello = 1,

    /// <summary>Coordinator → worker: the Hello was accepted.</summary>
    HelloAck = 2,

    /// <summary>Coordinator → worker: the full parameters of <see cref="FrameHeader.ParameterVersion"/>.</summary>
    Parameters = 3,

    /// <summary>Worker → coordinator: the summed gradient of a block of microbatches.</summary>
    Gradient = 4,

    /// <summary>Coordinator → worker: the Hello was refused; the coordinator closes the connection.</summary>
    Refused = 5,

    /// <summary>Either side: orderly close.</summary>
    Bye = 6,

    /// <summary>
    /// Coordinator → worker: compute a block (parameter version, epoch, step, microbatch range, first sample in the
    /// header; the block's data rows as int32 in the payload). Sent behind the parameters of its version on the same
    /// connection, so it never overtakes them; Akka would add a millisecond-scale hop to every step.
    /// </summary>
    Assign = 7,
}
