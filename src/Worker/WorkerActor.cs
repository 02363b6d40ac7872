using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Worker;

/// <summary>
/// A worker: says hello to the coordinator until it is offered a job, builds a model replica on its own backend,
/// registers, then computes the blocks it is assigned, pulling work by credits. All math is in <see cref="BlockGradient"/>.
/// When its coordinator goes away or the job ends, the worker stops.
/// </summary>
public sealed class WorkerActor : ReceiveActor, IWithTimers
{
    private const string HelloTimer = "hello";
    private readonly WorkerSettings _settings;
    private readonly string _coordinatorPath;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _coordinator;
    private WorkerJob? _job;

    public WorkerActor(WorkerSettings settings, string coordinatorPath)
    {
        _settings = settings;
        _coordinatorPath = coordinatorPath;
        Receive<SayHello>(_ => Context.ActorSelection(_coordinatorPath).Tell(Hello()));
        Receive<LocalJobOffer>(OnLocalJobOffer);
        Receive<WorkerAccepted>(OnAccepted);
        Receive<WorkerRefused>(refused =>
        {
            _log.Warning("refused by the coordinator: {0}", refused.Reason);
            Context.Stop(Self);
        });
        Receive<LocalAssignWork>(OnLocalAssignWork);
        Receive<JobFinished>(finished =>
        {
            _log.Info("job {0} finished", finished.JobId);
            Context.Stop(Self);
        });
        Receive<Terminated>(t => t.ActorRef.Equals(_coordinator), _ =>
        {
            _log.Warning("coordinator {0} is gone; worker {1} stops", _coordinator!.Path, _settings.Name);
            Context.Stop(Self);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(WorkerSettings settings, string coordinatorPath) =>
        Akka.Actor.Props.Create(() => new WorkerActor(settings, coordinatorPath));

    protected override void PreStart()
    {
        Self.Tell(SayHello.Instance);
        Timers.StartPeriodicTimer(HelloTimer, SayHello.Instance, _settings.HelloInterval);
    }

    private WorkerHello Hello() => new(ProtocolInfo.Version, _settings.Name, _settings.Threads ?? Environment.ProcessorCount);

    private void OnLocalJobOffer(LocalJobOffer offer)
    {
        Timers.Cancel(HelloTimer);
        BindCoordinator(Sender);
        var backend = SegaLearn.Backends.Create(_settings.Backend, _settings.Threads, "worker backend");
        _job = new WorkerJob(offer.Offer, offer.Job.Architecture, offer.Job.Features, offer.Job.Labels, backend);
        Sender.Tell(new RegisterWorker(offer.Offer.JobId, offer.Offer.Token, ProtocolInfo.Version, ArchitectureHash.Compute(offer.Job.Architecture), _settings.Name));
    }

    private void BindCoordinator(IActorRef coordinator)
    {
        if (_coordinator is not null)
        {
            Context.Unwatch(_coordinator);
        }

        _coordinator = coordinator;
        Context.Watch(coordinator);
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

    private sealed class SayHello
    {
        public static SayHello Instance { get; } = new();
    }
}
