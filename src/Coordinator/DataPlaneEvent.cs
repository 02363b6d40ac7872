using Akka.Actor;
using SegaLearn.Protocol;

namespace SegaLearn.Coordinator;

/// <summary>What the data plane's read threads tell the coordinator actor: a gradient or a frame of peer reduction arrived, or a connection is gone.</summary>
public abstract record DataPlaneEvent(int WorkerId) : INoSerializationVerificationNeeded
{
    /// <summary>
    /// A gradient: checksum-verified in a buffer rented from the coordinator's pool (owned), or left in the worker's
    /// shared memory and pinned there (lent); the receiver releases it unless the step's ledger accepts it.
    /// </summary>
    public sealed record GradientArrived(int WorkerId, ReceivedGradient Gradient) : DataPlaneEvent(WorkerId);

    /// <summary>A frame of peer reduction (Done, ShardSum, Invalid, PeerFailed); a ShardSum's payload in a pool buffer.</summary>
    public sealed record PeerFrame(int WorkerId, FrameHeader Header, float[]? Payload) : DataPlaneEvent(WorkerId);

    /// <summary>A shard sum from the worker, taken on its read thread, was the last the step waited for: the actor closes the step.</summary>
    public sealed record ShardsTaken(int WorkerId) : DataPlaneEvent(WorkerId);

    /// <summary>The worker's connection closed or was dropped for <see cref="Reason"/>.</summary>
    public sealed record Disconnected(int WorkerId, string Reason) : DataPlaneEvent(WorkerId);
}
