using Akka.Actor;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Coordinator;

// What the trainer's engine says to the coordinator actor in its own process, all in one file like Messages.cs.
// They carry the job's data and the trainer's buffers by reference, so they are never serialized.

/// <summary>
/// Starts a job: the training set and model, the data reference remote workers load it from (null when only
/// in-process workers take part), and how many registered workers to wait for. Answered with <see cref="JobReady"/>.
/// </summary>
public sealed record BeginJob(TrainingJob Job, DataReference? Data, byte[]? TrainingBlob, int MinWorkers) : INoSerializationVerificationNeeded;

/// <summary>
/// The job's id and the number of workers registered when it became ready; <see cref="WriteParameters"/>, when not
/// null, runs the trainer's update with the parameter file local workers map as its mirror
/// (<see cref="DataPlaneServer.TryWriteJobParameters"/>).
/// </summary>
public sealed record JobReady(string JobId, int Workers, Func<long, ParameterUpdate, bool>? WriteParameters = null) : INoSerializationVerificationNeeded;

/// <summary>
/// Computes a step's gradient sum at <see cref="Parameters"/> (version <see cref="Version"/>) into
/// <see cref="GradientSum"/>. The trainer does not touch either buffer until <see cref="StepFinished"/> arrives.
/// </summary>
/// With <see cref="RangeUpdate"/>, the coordinator may also run the trainer's update, in ranges as the sum arrives.
public sealed record RunStep(StepWork Work, float[] Parameters, long Version, float[] GradientSum, ParameterRangeUpdate? RangeUpdate = null) : INoSerializationVerificationNeeded;

/// <summary>The step is reduced into the trainer's buffer; <see cref="Updated"/>: and the trainer's update has been run on all of it.</summary>
public sealed record StepFinished(StepResult Result, StepMetrics Metrics, bool Updated = false) : INoSerializationVerificationNeeded;

/// <summary>Ends the job: workers are told <see cref="JobFinished"/>. Answered with <see cref="JobEnded"/>.</summary>
public sealed record EndJob : INoSerializationVerificationNeeded
{
    public static EndJob Instance { get; } = new();
}

/// <summary>The job is over and its workers were told.</summary>
public sealed record JobEnded(int Reassigned, int Rejected) : INoSerializationVerificationNeeded;
