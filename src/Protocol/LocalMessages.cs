using Akka.Actor;
using SegaLearn.Training;

namespace SegaLearn.Protocol;

// Messages between a coordinator and in-process workers: they carry references to shared buffers, so they are
// never serialized (INoSerializationVerificationNeeded) and never leave the process.

/// <summary>Coordinator → in-process worker: the job, with the training set itself instead of a reference to load.</summary>
public sealed record LocalJobOffer(JobOffer Offer, TrainingJob Job) : INoSerializationVerificationNeeded;

/// <summary>
/// Coordinator → in-process worker: an assignment with the shared read-only parameters of its version and the buffer
/// the block's gradient is to be written into (rented from the coordinator's pool; handed back in <see cref="LocalWorkDone"/>).
/// </summary>
public sealed record LocalAssignWork(AssignWork Work, float[] Parameters, float[] Gradient) : INoSerializationVerificationNeeded;

/// <summary>In-process worker → coordinator: the block's gradient is in <see cref="Gradient"/>.</summary>
public sealed record LocalWorkDone(AssignWork Work, int SampleCount, double LossSum, float[] Gradient, double ComputeMilliseconds) : INoSerializationVerificationNeeded;
