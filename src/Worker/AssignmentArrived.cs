using Akka.Actor;
using SegaLearn.Protocol;

namespace SegaLearn.Worker;

/// <summary>The data plane delivered a block assignment: its header (version, epoch, step, microbatches, first sample) and data rows.</summary>
public sealed record AssignmentArrived(FrameHeader Header, int[] Rows) : INoSerializationVerificationNeeded;
