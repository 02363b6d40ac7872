using SegaLearn.Protocol;

namespace SegaLearn.Coordinator;

/// <summary>
/// Takes a shard sum on the data-plane read thread that read it, from <paramref name="channel"/>'s worker
/// <paramref name="workerId"/>: true when it took the frame and its <paramref name="payload"/> (a pool buffer), false to
/// leave both to the coordinator actor.
/// </summary>
public delegate bool ShardSumSink(DataPlaneChannel channel, int workerId, FrameHeader header, float[] payload);
