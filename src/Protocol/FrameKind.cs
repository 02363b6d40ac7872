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

    /// <summary>
    /// Coordinator → first member, then member → next member (relayed, as is): the step's <see cref="StepPlan"/> for peer
    /// reduction (members in relay order, who own the shards, and the blocks each owner waits for). Followed on the same
    /// connection by the Parameters frame of its version, which each member forwards chunk by chunk while it receives it.
    /// A plan whose version the members have already (streamed in ParameterChunk frames) goes to every member from the
    /// coordinator instead, and is not relayed.
    /// </summary>
    Plan = 8,

    /// <summary>Worker → the member owning a shard: that shard of a block's gradient (<see cref="FrameHeader.ElementOffset"/>).</summary>
    Piece = 9,

    /// <summary>Worker → coordinator: a block was computed and its pieces sent (sample count and loss sum, no payload).</summary>
    Done = 10,

    /// <summary>Owner → coordinator: a shard of the step's gradient sum, added over every block in the reduction tree's order.</summary>
    ShardSum = 11,

    /// <summary>Owner → coordinator: worker <see cref="FrameHeader.PeerId"/> sent a piece of block <see cref="FrameHeader.FirstMicrobatch"/> that is not finite.</summary>
    Invalid = 12,

    /// <summary>Worker → coordinator: peer <see cref="FrameHeader.PeerId"/> could not be connected to or written to.</summary>
    PeerFailed = 13,

    /// <summary>
    /// Coordinator → the owner of a shard, which forwards it to the other members: parameters
    /// [<see cref="FrameHeader.ElementOffset"/>, +count) of the next version, sent as soon as the coordinator has updated
    /// them, while later shard sums are still arriving. A member has the version once every element came.
    /// </summary>
    ParameterChunk = 14,
}
