using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Worker;

/// <summary>
/// A worker: greets the coordinator until it is offered a job, gets the training set, builds a model replica on its
/// own backend, registers, then computes the blocks it is assigned, pulling work by credits. In-process workers get
/// the data and shared parameter buffers by reference; remote ones load or fetch the data (<see cref="TrainingSetSource"/>)
/// and leave the data path to <see cref="RemoteLink"/>, which computes each assignment on the data plane's read thread
/// once the parameters of its version have arrived and sends the gradient back. All math is in
/// <see cref="BlockGradient"/>. The worker stops when the job ends, when it is refused, or when its coordinator goes away.
/// </summary>
public sealed class WorkerActor : ReceiveActor, IWithTimers
{
    private const string HelloTimer = "hello";
    private const string OfferTimer = "offer";
    private readonly WorkerSettings _settings;
    private readonly string _coordinatorPath;
    private readonly TaskCompletionSource<WorkerStopped>? _stopped;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ClusterCertificate? _tls;
    private IActorRef? _coordinator;
    private JobOffer? _offer;
    private NetworkArchitecture? _architecture;
    private ChunkAssembly? _chunks;
    private WorkerJob? _job;
    private RemoteLink? _link;

    /// <summary>A worker that greets the coordinator at <paramref name="coordinatorPath"/>; with <paramref name="tls"/> its data-plane and peer connections are TLS with that certificate.</summary>
    public WorkerActor(WorkerSettings settings, string coordinatorPath, TaskCompletionSource<WorkerStopped>? stopped = null, ClusterCertificate? tls = null)
    {
        _settings = settings;
        _tls = tls;
        _coordinatorPath = coordinatorPath;
        _stopped = stopped;
        Receive<SayHello>(_ => Context.ActorSelection(_coordinatorPath).Tell(new WorkerHello(ProtocolInfo.Version, _settings.Name, _settings.Threads ?? Environment.ProcessorCount)));
        Receive<OfferTimedOut>(_ => Finish(WorkerStopped.NoOffer, $"no job offered by {_coordinatorPath} within {_settings.OfferTimeout.TotalSeconds:0} s" + (_tls is null
            ? " (a coordinator with TLS takes only workers with its certificate: --tls)"
            : $" (a coordinator with another certificate than {_tls.Fingerprint[..16]}… refuses this worker, and says so in its log)")));
        Receive<LocalJobOffer>(OnLocalJobOffer);
        Receive<JobOffer>(OnJobOffer);
        Receive<DataResolved>(OnDataResolved);
        Receive<DataChunk>(OnDataChunk);
        Receive<WorkerAccepted>(OnAccepted);
        Receive<LinkReady>(OnLinkReady);
        Receive<DataPlaneClosed>(closed => closed.Error is not null, closed => Finish(WorkerStopped.CoordinatorLost, $"data plane lost: {closed.Error}"));
        Receive<DataPlaneClosed>(_ => _log.Info("the coordinator closed the data plane"));
        Receive<LinkFailed>(failed => Finish(WorkerStopped.CoordinatorLost, $"data plane: {failed.Why}"));
        Receive<WorkerRefused>(refused => Finish(WorkerStopped.Refused, $"refused by the coordinator: {refused.Reason}"));
        Receive<LocalAssignWork>(OnLocalAssignWork);
        Receive<JobFinished>(finished => Finish(WorkerStopped.Finished, $"job {finished.JobId} finished"));
        Receive<Terminated>(t => t.ActorRef.Equals(_coordinator), _ => Finish(WorkerStopped.CoordinatorLost, $"coordinator {_coordinator!.Path} is gone"));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(WorkerSettings settings, string coordinatorPath, TaskCompletionSource<WorkerStopped>? stopped = null, ClusterCertificate? tls = null) =>
        Akka.Actor.Props.Create(() => new WorkerActor(settings, coordinatorPath, stopped, tls));

    protected override void PreStart()
    {
        Self.Tell(SayHello.Instance);
        Timers.StartPeriodicTimer(HelloTimer, SayHello.Instance, _settings.HelloInterval);
        Timers.StartSingleTimer(OfferTimer, OfferTimedOut.Instance, _settings.OfferTimeout);
    }

    protected override void PostStop()
    {
        _link?.Dispose();
        _job?.Dispose();
        // Remoting shuts the whole system down on its own, e.g. when the coordinator's certificate is not this worker's.
        var shutdown = CoordinatedShutdown.Get(Context.System).ShutdownReason;
        _stopped?.TrySetResult(new WorkerStopped(
            WorkerStopped.CoordinatorLost, shutdown is null ? "worker stopped" : $"worker stopped: the actor system shut down ({shutdown.GetType().Name})"));
    }

    private void OnLocalJobOffer(LocalJobOffer offer)
    {
        if (IsRepeated(offer.Offer))
        {
            return;
        }

        Offered(offer.Offer);
        _architecture = offer.Job.Architecture;
        Register(offer.Job.Features, offer.Job.Targets);
    }

    private void OnJobOffer(JobOffer offer)
    {
        if (IsRepeated(offer))
        {
            return;
        }

        Offered(offer);
        try
        {
            var loss = NetworkArchitecture.ParseLoss(offer.Loss, out var huberDelta);
            _architecture = new NetworkArchitecture(
                offer.Layers.Split(',').Select(int.Parse).ToArray(),
                offer.Activations.Split(',').Select(Activation.Parse).ToArray(),
                loss,
                huberDelta);
        }
        catch (Exception e) when (e is FormatException or BadInputException)
        {
            Finish(WorkerStopped.Refused, $"job {offer.JobId} describes a model this worker cannot build: {e.Message}");
            return;
        }

        var reference = offer.Data;
        _log.Info("job {0}: resolving training set {1} ({2} bytes, SHA-256 {3})", offer.JobId, reference.Spec, reference.ByteLength, reference.Sha256);
        var targets = _architecture.IsRegression ? TargetKind.Values : TargetKind.Classes;
        Task.Run(() => TrainingSetSource.TryLocal(reference, targets)).PipeTo(Self, success: r => new DataResolved(r.Data, r.Why), failure: e => new DataResolved(null, e.Message));
    }

    /// <summary>A second offer of the job already taken (an answer to a repeated greeting) changes nothing.</summary>
    private bool IsRepeated(JobOffer offer) => _offer is not null && _offer.JobId == offer.JobId;

    private void Offered(JobOffer offer)
    {
        Timers.CancelAll();
        if (_coordinator is not null)
        {
            Context.Unwatch(_coordinator);
        }

        _coordinator = Sender;
        Context.Watch(Sender);
        _offer = offer;
    }

    private void OnDataResolved(DataResolved resolved)
    {
        if (resolved.Data is { } data)
        {
            Register(data.Features, data.Targets);
            return;
        }

        _log.Info("fetching the training set from the coordinator: {0}", resolved.Why);
        _chunks = new ChunkAssembly(_offer!.Data.ByteLength);
        _coordinator!.Tell(_chunks.NextRequest(_offer.JobId, _offer.Token));
    }

    private void OnDataChunk(DataChunk chunk)
    {
        if (_chunks is null || _offer is null || chunk.JobId != _offer.JobId)
        {
            return;
        }

        try
        {
            _chunks.Add(chunk);
            if (!_chunks.IsComplete)
            {
                Sender.Tell(_chunks.NextRequest(_offer.JobId, _offer.Token));
                return;
            }

            var data = TrainingSetSource.Accept(_offer.Data, _chunks.Blob);
            _chunks = null;
            Register(data.Features, data.Targets);
        }
        catch (InvalidDataException e)
        {
            Finish(WorkerStopped.Refused, e.Message);
        }
    }

    private void Register(Features features, Targets targets)
    {
        var offer = _offer!;
        IComputeBackend backend;
        try
        {
            backend = SegaLearn.Backends.Create(offer.Backend, _settings.Threads, $"job {offer.JobId}");
        }
        catch (BadInputException e)
        {
            Finish(WorkerStopped.Refused, e.Message);
            return;
        }

        _job = new WorkerJob(offer, _architecture!, features, targets, backend);
        _coordinator!.Tell(new RegisterWorker(offer.JobId, offer.Token, ProtocolInfo.Version, ArchitectureHash.Compute(_architecture!), _settings.Name, backend.NumericIdentity));
    }

    private void OnAccepted(WorkerAccepted accepted)
    {
        _log.Info("worker {0} registered for job {1} as #{2} (wire {3})", _settings.Name, accepted.JobId, accepted.WorkerId, Training.WireFormatNames.Name(_offer!.Wire));
        if (_offer!.DataPlanePort == 0)
        {
            Sender.Tell(new RequestWork(accepted.JobId, _settings.Credits));
            return;
        }

        var host = Sender.Path.Address.Host ?? "127.0.0.1";
        var self = Self;
        RemoteLink.ConnectAsync(host, _offer.DataPlanePort, _job!, accepted.WorkerId, _settings.Credits, self, _settings.SharedMemory, _settings.PeerPort, _tls)
            .PipeTo(Self, success: link => new LinkReady(link), failure: e => new LinkFailed($"cannot connect to {host}:{_offer.DataPlanePort}: {e.Message}"));
    }

    private void OnLinkReady(LinkReady ready)
    {
        _link = ready.Link;
        _log.Info(
            "data plane connected{0}",
            _link.MapsJobParameters ? " (tensors in shared memory, parameters in the job's file)"
            : _link.SharesMemory ? " (tensors in shared memory)"
            : _link.JoinsPeers ? " (TCP; joins peer reduction)" : string.Empty);
        _coordinator!.Tell(new RequestWork(_offer!.JobId, _settings.Credits));
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

    private void Finish(int exitCode, string reason)
    {
        if (exitCode == WorkerStopped.Finished)
        {
            _log.Info(reason);
        }
        else
        {
            _log.Warning(reason);
        }

        _stopped?.TrySetResult(new WorkerStopped(exitCode, reason));
        Context.Stop(Self);
    }

    private sealed class SayHello : INoSerializationVerificationNeeded
    {
        public static SayHello Instance { get; } = new();
    }

    private sealed class OfferTimedOut : INoSerializationVerificationNeeded
    {
        public static OfferTimedOut Instance { get; } = new();
    }

    private sealed record DataResolved(LabeledData? Data, string? Why) : INoSerializationVerificationNeeded;

    private sealed record LinkReady(RemoteLink Link) : INoSerializationVerificationNeeded;

    private sealed record LinkFailed(string Why) : INoSerializationVerificationNeeded;
}
