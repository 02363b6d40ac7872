using Akka.Actor;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Coordinator;

/// <summary>
/// The channel to workers in this process: a block goes as a <see cref="LocalAssignWork"/> with the step's parameters
/// by reference and a pool buffer for the gradient, which comes back, owned, in <see cref="LocalWorkDone"/>. Such a
/// worker lends nothing, so there is nothing to copy out before it is handed another block.
/// </summary>
public sealed class ActorWorkerChannel(string jobId, GradientBufferPool pool) : IWorkerChannel
{
    public bool InProcess => true;

    public void Assign(WorkerEntry worker, StepRound round, WorkBlock block)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(round);
        worker.Actor.Tell(new LocalAssignWork(round.Assignment(jobId, block), round.VersionParameters, pool.Rent()));
    }

    public void Close(WorkerEntry worker)
    {
    }

    /// <summary>An in-process worker's answer as a received gradient: the buffer it was handed, owned again.</summary>
    public ReceivedGradient Received(LocalWorkDone done)
    {
        ArgumentNullException.ThrowIfNull(done);
        var work = done.Work;
        var header = new FrameHeader
        {
            ParameterVersion = work.ParameterVersion,
            Epoch = work.Epoch,
            Step = work.Step,
            FirstMicrobatch = work.FirstMicrobatch,
            MicrobatchCount = work.MicrobatchCount,
            SampleCount = done.SampleCount,
            LossSum = done.LossSum,
        };
        return ReceivedGradient.Owned(header, done.Gradient, pool, done.ComputeMilliseconds);
    }
}
