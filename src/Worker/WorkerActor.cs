using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Worker;

/// <summary>
/// A worker: says hello to the coordinator, takes the job, builds a model replica on its own backend, registers and
/// then computes the blocks it is assigned, pulling work by credits. All math is in <see cref="BlockGradient"/>.
/// </summary>
public sealed class WorkerActor : ReceiveActor
{
    private readonly WorkerSettings _settings;
    private readonly IActorRef _coordinator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private WorkerJob? _job;

    public WorkerActor(WorkerSettings settings, IActorRef coordinator)
    {
        _settings = settings;
        _coordinator = coordinator;
        Receive<LocalJobOffer>(OnLocalJobOffer);
        Receive<WorkerAccepted>(OnAccepted);
        Receive<WorkerRefused>(refused =>
        {
            _log.Warning("refused by the coordinator: {0}", refused.Reason);
            Context.Stop(Self);
        });
        Receive<LocalAssignWork>(OnLocalAssignWork);
        Receive<JobFinished>(_ => Context.Stop(Self));
    }

    public static Props Props(WorkerSettings settings, IActorRef coordinator) =>
        Akka.Actor.Props.Create(() => new WorkerActor(settings, coordinator));

    protected override void PreStart() =>
        _coordinator.Tell(new WorkerHello(ProtocolInfo.Version, _settings.Name, _settings.Threads ?? Environment.ProcessorCount));

    private void OnLocalJobOffer(LocalJobOffer offer)
    {
        var backend = SegaLearn.Backends.Create(_settings.Backend, _settings.Threads, "worker backend");
        _job = new WorkerJob(offer.Offer, offer.Job.Architecture, offer.Job.Features, offer.Job.Labels, backend);
        Sender.Tell(new RegisterWorker(offer.Offer.JobId, offer.Offer.Token, ProtocolInfo.Version, ArchitectureHash.Compute(offer.Job.Architecture), _settings.Name));
    }

    private void OnAccepted(WorkerAccepted accepted)
    {
        _log.Info("worker {0} registered for job {1} as #{2}", _settings.Name, accepted.JobId, accepted.WorkerId);
        Sender.Tell(new RequestWork(accepted.JobId, _settings.Credits));
    }

    private void OnLocalAssignWork(LocalAssignWork assignment)
    {
        if (_job is null || assignment.Work.JobId != _job.Offer.JobId)
        {
            _log.Warning("assignment for job {0} ignored: not this worker's job", assignment.Work.JobId);
            return;
        }

        var work = assignment.Work;
        var clock = Stopwatch.StartNew();
        var loss = _job.Compute(work, assignment.Parameters, assignment.Gradient);
        Sender.Tell(new LocalWorkDone(work, work.Rows.Length, loss, assignment.Gradient, clock.Elapsed.TotalMilliseconds));
    }
}
