using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using SegaLearn.Compute;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Coordinator;

/// <summary>
/// The coordinator: registers workers for a job, hands out each step's blocks to workers with free credits, keeps
/// the first valid result of each block, reduces them in the fixed tree order and answers the trainer. A worker that
/// dies or becomes unreachable has its blocks requeued; a worker that returns invalid gradients is struck and, when it
/// repeats, removed. It routes: blocks go out and results come in on each worker's <see cref="IWorkerChannel"/>, every
/// result as a <see cref="ReceivedGradient"/> whatever carried it; all math lives in <see cref="StepRound"/>,
/// <see cref="StepLedger"/> and <see cref="GradientTree"/>.
/// </summary>
public sealed class CoordinatorActor : ReceiveActor
{
    private readonly CoordinatorSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly WorkerRegistry _workers = new();
    private readonly HashSet<IActorRef> _waitingForJob = [];

    /// <summary>Akka.Cluster when this actor system is a cluster node, else null (in-process workers only).</summary>
    private readonly Cluster? _cluster = ((ExtendedActorSystem)Context.System).Provider is ClusterActorRefProvider ? Cluster.Get(Context.System) : null;
    private readonly ClusterCertificate? _tls;
    private JobState? _job;
    private IActorRef? _readyWaiter;
    private IActorRef? _stepWaiter;
    private int _totalReassigned;
    private int _totalRejected;

    /// <summary>The version whose parameters were streamed to these members (in relay order) during the last step, if so.</summary>
    private StreamedVersion? _streamed;

    /// <summary>Whether the current step counts towards the <see cref="JobState.Topology"/> timing (peer reduction could run, with few enough workers).</summary>
    private bool _timedStep;

    /// <summary>Time since the last step finished: a step's whole cycle, the hand-over to the trainer and back included.</summary>
    private readonly System.Diagnostics.Stopwatch _cycle = new();

    /// <summary>
    /// Held while the actor handles a message and while a data-plane read thread takes a shard sum
    /// (<see cref="TakeShardSum"/>), so the round is changed by one thread at a time. Neither holds it across a write to
    /// a socket that the other could be waiting behind: the read threads send their parameter chunks after letting go.
    /// </summary>
    private readonly Lock _roundGate = new();

    private readonly IActorRef _self;

    /// <summary>A coordinator; with <paramref name="tls"/> its data plane takes only TLS connections presenting that certificate.</summary>
    public CoordinatorActor(CoordinatorSettings settings, ClusterCertificate? tls = null)
    {
        _settings = settings;
        _tls = tls;
        _self = Self;
        Receive<BeginJob>(OnBeginJob);
        Receive<WorkerHello>(OnHello);
        Receive<RegisterWorker>(OnRegister);
        Receive<RequestWork>(OnRequestWork);
        Receive<RunStep>(OnRunStep);
        Receive<LocalWorkDone>(OnLocalWorkDone);
        Receive<DataPlaneEvent.GradientArrived>(OnRemoteGradient);
        Receive<DataPlaneEvent.PeerFrame>(OnPeerFrame);
        Receive<DataPlaneEvent.ShardsTaken>(_ =>
        {
            if (_job is { } job)
            {
                FinishIfComplete(job);
            }
        });
        Receive<DataPlaneEvent.Disconnected>(lost =>
        {
            if (_workers.Find(lost.WorkerId) is { } worker)
            {
                RemoveWorker(worker, $"data plane: {lost.Reason}");
            }
        });
        Receive<DataChunkRequest>(OnDataChunkRequest);
        Receive<EndJob>(_ => OnEndJob());
        Receive<Terminated>(t => OnWorkerLost(t.ActorRef, "terminated"));
        Receive<ClusterEvent.UnreachableMember>(u =>
        {
            foreach (var worker in _workers.At(u.Member.Address))
            {
                RemoveWorker(worker, $"unreachable at {u.Member.Address}");
            }
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
    }

    public static Props Props(CoordinatorSettings settings, ClusterCertificate? tls = null) => Akka.Actor.Props.Create(() => new CoordinatorActor(settings, tls));

    protected override void PreStart()
    {
        _cluster?.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.UnreachableMember));
    }

    protected override void PostStop()
    {
        _cluster?.Unsubscribe(Self);

        if (_job is { } job)
        {
            job.Round.Abort();
            job.DataPlane?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private void OnBeginJob(BeginJob begin)
    {
        var job = begin.Job;
        var id = Guid.NewGuid().ToString("N");
        var token = JobToken.Create();
        var architecture = job.Architecture;
        var pool = new GradientBufferPool(new ParameterLayout(architecture.LayerSizes).TotalCount);
        var dataPlane = begin.Data is null ? null : StartDataPlane(id, token, pool, job.Wire);
        var data = begin.Data ?? new DataReference("in-process", null, 0, 0, false, "", 0);
        var offer = new JobOffer(
            id, token, ProtocolInfo.Version, architecture.LayersText, architecture.ActivationsText, architecture.LossText,
            job.DropoutRate, job.Seed, job.MicrobatchSize, job.Backend.Name, data, dataPlane?.Server.Port ?? 0, dataPlane?.Server.SharedParametersPath ?? string.Empty,
            job.Wire);
        _job = new JobState(
            begin, offer, ArchitectureHash.Compute(architecture), new StepRound(pool, job.Backend, job.Wire), pool, new ActorWorkerChannel(id, pool), dataPlane,
            new TopologyChooser(_settings.TopologyProbeSteps, _settings.TopologySettleSteps));
        _cycle.Restart();
        _readyWaiter = Sender;
        _log.Info("job {0}: {1}, waiting for {2} worker(s)", id, architecture, begin.MinWorkers);
        foreach (var waiting in _waitingForJob)
        {
            Offer(waiting);
        }

        _waitingForJob.Clear();
        CheckReady();
    }

    private DataPlaneChannel StartDataPlane(string jobId, string token, GradientBufferPool pool, WireFormat wire)
    {
        var dataPlane = new DataPlaneChannel(jobId, token, pool, Self, _log, _tls, wire, TakeShardSum);
        dataPlane.Start(IPAddress.Parse(_settings.DataPlaneBind), _settings.DataPlanePort);
        _log.Info("job {0}: data plane listening on {1}:{2}{3}", jobId, _settings.DataPlaneBind, dataPlane.Server.Port, _tls is null ? string.Empty : $" (TLS, certificate {_tls.Fingerprint[..16]}…)");
        return dataPlane;
    }

    private void OnHello(WorkerHello hello)
    {
        if (hello.ProtocolVersion != ProtocolInfo.Version)
        {
            Refuse(Sender, $"worker {hello.WorkerName} speaks protocol {hello.ProtocolVersion}, this coordinator {ProtocolInfo.Version}");
            return;
        }

        // A worker greets until it is offered a job, so greetings repeat; one offer per worker is enough.
        if (_job is null)
        {
            _waitingForJob.Add(Sender);
            return;
        }

        if (_workers.Find(Sender) is null)
        {
            Offer(Sender);
        }
    }

    private void Offer(IActorRef worker)
    {
        var job = _job!;
        if (IsInProcess(worker))
        {
            worker.Tell(new LocalJobOffer(job.Offer, job.Begin.Job));
        }
        else if (job.Begin.Data is null)
        {
            Refuse(worker, $"job {job.Offer.JobId} runs on in-process workers only");
        }
        else
        {
            worker.Tell(job.Offer);
        }
    }

    private void OnRegister(RegisterWorker register)
    {
        var job = _job;
        string? reason = job is null ? "no job is running"
            : register.ProtocolVersion != ProtocolInfo.Version ? $"protocol {register.ProtocolVersion}, expected {ProtocolInfo.Version}"
            : register.JobId != job.Offer.JobId ? $"job {register.JobId}, expected {job.Offer.JobId}"
            : !JobToken.Matches(job.Offer.Token, register.Token) ? "wrong job token"
            : register.ArchitectureHash != job.ArchitectureHash ? $"architecture hash {register.ArchitectureHash}, expected {job.ArchitectureHash}"
            : register.NumericIdentity != job.Begin.Job.Backend.NumericIdentity
                ? $"its backend computes as '{register.NumericIdentity}', this job as '{job.Begin.Job.Backend.NumericIdentity}' (its gradients would differ in the last bits)"
            : _workers.Find(Sender) is not null ? "already registered"
            : !IsInProcess(Sender) && job.DataPlane is null ? "this job runs on in-process workers only"
            : null;
        if (reason is not null)
        {
            Refuse(Sender, $"worker {register.WorkerName} refused: {reason}");
            return;
        }

        var worker = _workers.Add(Sender, register.WorkerName, IsInProcess(Sender) ? job!.Local : job!.DataPlane!);
        Context.Watch(Sender);
        Sender.Tell(new WorkerAccepted(job!.Offer.JobId, worker.Id));
        _log.Info("worker {0} registered ({1} in all)", worker, _workers.Count);
        CheckReady();
    }

    private void OnRequestWork(RequestWork request)
    {
        var worker = _workers.Find(Sender);
        if (worker is null || _job is null || request.JobId != _job.Offer.JobId)
        {
            return;
        }

        worker.Credits = Math.Max(1, request.Credits);
        CheckReady();
        Dispatch();
    }

    private void OnRunStep(RunStep run)
    {
        var job = _job;
        if (job is null)
        {
            Sender.Tell(new Status.Failure(new InvalidOperationException("RunStep before BeginJob")));
            return;
        }

        _stepWaiter = Sender;
        job.Round.Begin(run.Work, run.Parameters, run.Version, run.GradientSum, job.Begin.Job.MicrobatchSize, _workers.Count, run.RangeUpdate);
        StartAttempt(job);
        Dispatch();
    }

    /// <summary>
    /// The workers that may reduce among themselves this attempt, in relay order: all of the job's workers when there are
    /// at least two, each is on another machine (no shared memory) and listens for peers; else none (the star).
    /// <see cref="StartAttempt"/> may still run the step in the star when the timing of both says it is faster.
    /// </summary>
    private List<PeerEndpoint> PeerMembers(JobState job)
    {
        var members = new List<PeerEndpoint>();
        if (!_settings.PeerReduction || job.DataPlane?.Server is not { } server || _workers.Count < 2)
        {
            return members;
        }

        foreach (var worker in _workers.All.OrderBy(w => w.Id))
        {
            if (worker.InProcess || server.PeerEndpointOf(worker.Id) is not { } endpoint)
            {
                members.Clear();
                return members;
            }

            members.Add(endpoint);
        }

        return members;
    }

    /// <summary>
    /// Starts an attempt at the current step: under peer reduction, the plan and the parameters go to the first member,
    /// which relays them, unless the same members had the version streamed to them during the step before, when the plan
    /// alone goes to each member; in the star, each worker gets the parameters with its first block
    /// (<see cref="IWorkerChannel.Assign"/>). With few enough members the step runs in whichever of the two the job's
    /// <see cref="TopologyChooser"/> picks.
    /// </summary>
    private void StartAttempt(JobState job)
    {
        var round = job.Round;
        var restart = round.Attempt > 0;
        var members = PeerMembers(job);
        _timedStep = members.Count > 0 && members.Count <= _settings.TimedTopologyMaxWorkers;
        if (_timedStep && !job.Topology.PeerNext)
        {
            members.Clear();
        }

        var streamed = !restart && _streamed is { } s && s.Version == round.Version && s.Members.SequenceEqual(members.Select(m => m.WorkerId));
        _streamed = null;
        round.StartAttempt(members, parametersFollow: !streamed);
        // What a star worker was sent before is no guide once peers relayed versions or an attempt started over.
        if (restart || round.Plan is not null)
        {
            foreach (var worker in _workers.All)
            {
                worker.ParametersSent = -1;
            }
        }

        if (round.Plan is not { } plan)
        {
            return;
        }

        var dataPlane = job.DataPlane!;
        foreach (var member in plan.ParametersFollow ? plan.Members.Take(1) : plan.Members)
        {
            try
            {
                if (plan.ParametersFollow)
                {
                    round.BytesOut += (long)round.Parameters.Length * round.ElementBytes;
                    dataPlane.Watch(dataPlane.Server.SendPlanAndParametersAsync(plan, round.VersionParameters), member.WorkerId);
                }
                else
                {
                    dataPlane.Watch(dataPlane.Server.SendPlanAsync(member.WorkerId, plan), member.WorkerId);
                }
            }
            catch (InvalidOperationException e)
            {
                dataPlane.Lost(member.WorkerId, e.Message);
            }
        }

        if (restart)
        {
            _log.Info("step {0}: attempt {1} under peer reduction by {2} worker(s)", round.Work.Step, plan.Attempt, plan.Members.Count);
        }
    }

    private void OnPeerFrame(DataPlaneEvent.PeerFrame frame)
    {
        var job = _job;
        var header = frame.Header;
        if (job is null || header.JobId != job.FrameJobId)
        {
            // A frame of a job that has ended (its data plane still draining) is dropped; its buffer is that job's.
            return;
        }

        var round = job.Round;
        switch (header.Kind)
        {
            case FrameKind.Done:
            {
                var outcome = round.OfferDone(header, out var blockIndex);
                if (outcome != LedgerOutcome.Stale && _workers.Find(frame.WorkerId) is { } worker && blockIndex >= 0)
                {
                    worker.Complete(blockIndex);
                }

                if (outcome == LedgerOutcome.Invalid)
                {
                    _log.Warning("invalid Done for step {0} block {1} from worker #{2}: the step starts over", header.Step, header.FirstMicrobatch, frame.WorkerId);
                    Strike(job, frame.WorkerId);
                }

                break;
            }

            case FrameKind.ShardSum:
                round.BytesIn += (long)header.ElementCount * FrameCodec.ElementSize(header.Format);
                var offered = round.OfferShard(frame.WorkerId, header, frame.Payload.AsSpan(0, header.ElementCount));
                ReturnShard(job, frame.Payload);
                if (offered == LedgerOutcome.Invalid)
                {
                    _log.Warning("shard sum at {0} of {1} elements from worker #{2} fits no shard of the plan", header.ElementOffset, header.ElementCount, frame.WorkerId);
                }
                else if (offered == LedgerOutcome.Accepted)
                {
                    var (ranges, parameters, version) = ApplyShard(round, header);
                    Stream(job.DataPlane!, frame.WorkerId, version, parameters, ranges);
                }

                break;
            case FrameKind.Invalid when round.IsCurrentAttempt(header):
                _totalRejected++;
                _log.Warning("worker #{0} reports an invalid piece of step {1} block {2} from worker #{3}: the step starts over", frame.WorkerId, header.Step, header.FirstMicrobatch, header.PeerId);
                Strike(job, header.PeerId);
                break;
            case FrameKind.PeerFailed:
                if (_workers.Find(header.PeerId) is { } peer)
                {
                    RemoveWorker(peer, $"worker #{frame.WorkerId} cannot reach it");
                }

                break;
        }

        FinishIfComplete(job);
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        lock (_roundGate)
        {
            return base.AroundReceive(receive, message);
        }
    }

    /// <summary>
    /// Takes a shard sum on the data-plane read thread that read it: offers it to the round and runs the trainer's update
    /// on it under <see cref="_roundGate"/>, then, after letting go, sends the new parameters of that part back to the
    /// owner. Through the actor's mailbox each part waited behind the others (a median 0.33 ms at 10 Gbit/s across
    /// simulated hosts), and both owners' parts were updated one after the other. The actor hears only of the part that
    /// completes the step, and of one it must log (left to it, as is a frame of another job).
    /// </summary>
    private bool TakeShardSum(DataPlaneChannel channel, int workerId, FrameHeader header, float[] payload)
    {
        JobState job;
        List<(int Offset, int Length)> ranges;
        float[] parameters;
        long version;
        bool complete;
        lock (_roundGate)
        {
            if (_job is not { } current || !ReferenceEquals(current.DataPlane, channel))
            {
                return false;
            }

            job = current;
            var round = job.Round;
            var offered = round.OfferShard(workerId, header, payload.AsSpan(0, header.ElementCount));
            if (offered == LedgerOutcome.Invalid)
            {
                return false;
            }

            round.BytesIn += (long)header.ElementCount * FrameCodec.ElementSize(header.Format);
            ReturnShard(job, payload);
            if (offered != LedgerOutcome.Accepted)
            {
                return true;
            }

            (ranges, parameters, version) = ApplyShard(round, header);
            complete = round.IsComplete;
        }

        Stream(job.DataPlane!, workerId, version, parameters, ranges);
        if (complete)
        {
            _self.Tell(new DataPlaneEvent.ShardsTaken(workerId));
        }

        return true;
    }

    /// <summary>
    /// Runs the trainer's update on the parts of an accepted shard sum not updated yet and counts the bytes that go back
    /// out; returns what <see cref="Stream"/> sends: the ranges, the parameters they lie in and the version they make.
    /// </summary>
    private static (List<(int Offset, int Length)> Ranges, float[] Parameters, long Version) ApplyShard(StepRound round, in FrameHeader header)
    {
        var ranges = round.ApplyUpdate(header.ElementOffset, header.ElementCount);
        foreach (var (_, length) in ranges)
        {
            round.BytesOut += (long)length * round.ElementBytes;
        }

        return (ranges, round.Parameters, round.Version + 1);
    }

    /// <summary>
    /// Sends ranges of <paramref name="version"/>, just updated from <paramref name="owner"/>'s shard sum, back to that
    /// owner, which forwards them to the other members: each member's link then carries its own shard out once, and none
    /// carries all.
    /// </summary>
    private static void Stream(DataPlaneChannel dataPlane, int owner, long version, float[] parameters, List<(int Offset, int Length)> ranges)
    {
        foreach (var (offset, length) in ranges)
        {
            try
            {
                dataPlane.Watch(dataPlane.Server.SendParameterChunkAsync(owner, version, offset, parameters.AsMemory(offset, length)), owner);
            }
            catch (InvalidOperationException e)
            {
                dataPlane.Lost(owner, e.Message);
                return;
            }
        }
    }

    private static void ReturnShard(JobState? job, float[]? payload)
    {
        if (job is not null && payload is not null && payload.Length == job.Pool.Length)
        {
            job.Pool.Return(payload);
        }
    }

    /// <summary>Strikes a worker whose result was invalid under peer reduction: the step's attempt starts over (removing a worker starts it over too).</summary>
    private void Strike(JobState job, int workerId)
    {
        if (_workers.Find(workerId) is { } worker && !StrikeOut(worker))
        {
            Restart(job);
        }
    }

    /// <summary>Counts an invalid result against <paramref name="worker"/> and removes it at the limit; true when removed.</summary>
    private bool StrikeOut(WorkerEntry worker)
    {
        if (++worker.Strikes < _settings.MaxStrikes)
        {
            return false;
        }

        RemoveWorker(worker, $"{worker.Strikes} invalid gradients");
        Refuse(worker.Actor, $"removed after {worker.Strikes} invalid gradients");
        return true;
    }

    /// <summary>Starts the current step over under peer reduction (or the star, when too few members are left).</summary>
    private void Restart(JobState job)
    {
        if (!job.Round.IsActive || job.Round.Plan is null)
        {
            return;
        }

        foreach (var worker in _workers.All)
        {
            worker.TakeOutstanding();
        }

        StartAttempt(job);
        Dispatch();
    }

    private void Dispatch()
    {
        var job = _job;
        if (job is null || !job.Round.IsActive)
        {
            return;
        }

        while (job.Round.TryPeek(out var block))
        {
            var rejectedBy = job.Round.RejectedBy(block.Index);
            var worker = _workers.NextWithRoom(rejectedBy);
            if (worker is null && rejectedBy != 0 && _workers.All.All(w => w.Id == rejectedBy))
            {
                worker = _workers.NextWithRoom();
            }

            if (worker is null)
            {
                break;
            }

            job.Round.TakeHead();
            worker.Assign(block.Index);
            worker.Channel.Assign(worker, job.Round, block);
        }
    }

    private void OnLocalWorkDone(LocalWorkDone done)
    {
        if (_job is { } job)
        {
            Accept(job, _workers.Find(Sender), job.Local.Received(done));
        }
    }

    private void OnRemoteGradient(DataPlaneEvent.GradientArrived arrived)
    {
        var gradient = arrived.Gradient;
        if (_job is not { } job || gradient.Header.JobId != job.FrameJobId)
        {
            gradient.Release();
            return;
        }

        job.Round.BytesIn += (long)gradient.Header.ElementCount * FrameCodec.ElementSize(gradient.Header.Format);
        Accept(job, _workers.Find(arrived.WorkerId), gradient);
    }

    /// <summary>
    /// Takes a block's result, owned or lent: its lease goes to the step's ledger when accepted, else it is released here.
    /// </summary>
    private void Accept(JobState job, WorkerEntry? worker, in ReceivedGradient gradient)
    {
        var result = gradient.Header;
        var blockIndex = job.Round.IsCurrent(result.ParameterVersion, result.Epoch, result.Step) ? job.Round.BlockIndexOf(result.FirstMicrobatch) : -1;
        if (worker is not null && blockIndex >= 0)
        {
            worker.Complete(blockIndex);
        }

        var outcome = job.Round.Offer(gradient);
        if (outcome != LedgerOutcome.Accepted)
        {
            gradient.Release();
        }

        if (outcome == LedgerOutcome.Invalid)
        {
            _totalRejected++;
            _log.Warning("invalid gradient for step {0} block {1} from worker {2}: recomputed elsewhere", result.Step, result.FirstMicrobatch, worker?.ToString() ?? Sender.Path.ToString());
            if (blockIndex >= 0)
            {
                job.Round.Requeue([blockIndex], worker?.Id ?? 0);
            }

            if (worker is not null)
            {
                StrikeOut(worker);
            }
        }

        FinishIfComplete(job);
    }

    /// <summary>Answers the trainer once the step is complete; else hands out what is waiting.</summary>
    private void FinishIfComplete(JobState job)
    {
        if (job.Round.IsComplete)
        {
            var round = job.Round;
            var streamed = round.Plan is { Attempt: 1 } plan && round.RangeUpdate is not null
                ? new StreamedVersion(round.Version + 1, plan.Members.Select(m => m.WorkerId).ToArray())
                : null;
            var (stepResult, metrics) = round.Finish(_workers.Count);
            _streamed = round.Updated ? streamed : null;
            if (_timedStep && job.Topology.Record(metrics.PeerReduced, _cycle.Elapsed.TotalMilliseconds))
            {
                var (peerMs, starMs) = job.Topology.Medians;
                _log.Info(
                    "step {0}: {1} from now on ({2:F2} ms a step in the star, {3:F2} under peer reduction; medians of {4} steps each), timed again in {5} steps",
                    metrics.Step, job.Topology.Kept == ReductionTopology.Star ? "the star" : "peer reduction", starMs, peerMs, job.Topology.ProbeSteps, job.Topology.SettleFor);
            }

            _cycle.Restart();
            foreach (var registered in _workers.All)
            {
                registered.TakeOutstanding();
            }

            _totalReassigned += metrics.Reassigned;
            _stepWaiter?.Tell(new StepFinished(stepResult, metrics, round.Updated));
            _stepWaiter = null;
        }
        else
        {
            Dispatch();
        }
    }

    private void OnDataChunkRequest(DataChunkRequest request)
    {
        var job = _job;
        var blob = job?.Begin.TrainingBlob;
        if (job is null || blob is null || request.JobId != job.Offer.JobId || !JobToken.Matches(job.Offer.Token, request.Token))
        {
            Refuse(Sender, "data chunk request for another job or with a wrong token");
            return;
        }

        if (request.Offset < 0 || request.Offset > blob.Length || request.Length is <= 0 or > ProtocolInfo.DataChunkBytes)
        {
            Refuse(Sender, $"data chunk request out of range: offset {request.Offset}, length {request.Length} of {blob.Length}");
            return;
        }

        var length = (int)Math.Min(request.Length, blob.Length - request.Offset);
        Sender.Tell(new DataChunk(job.Offer.JobId, request.Offset, blob.AsSpan((int)request.Offset, length).ToArray()));
    }

    private void OnEndJob()
    {
        if (_job is { } job)
        {
            foreach (var worker in _workers.All.ToArray())
            {
                worker.Actor.Tell(new JobFinished(job.Offer.JobId));
                Context.Unwatch(worker.Actor);
                _workers.Remove(worker);
            }

            job.Round.Abort();
            job.DataPlane?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _job = null;
        }

        Sender.Tell(new JobEnded(_totalReassigned, _totalRejected));
    }

    private void OnWorkerLost(IActorRef actor, string why)
    {
        if (_workers.Find(actor) is { } worker)
        {
            RemoveWorker(worker, why);
        }
    }

    private void RemoveWorker(WorkerEntry worker, string why)
    {
        _workers.Remove(worker);
        Context.Unwatch(worker.Actor);
        worker.Channel.Close(worker);
        if (!worker.InProcess)
        {
            DownNode(worker.Actor.Path.Address);
        }

        var blocks = worker.TakeOutstanding();
        _log.Warning("worker {0} lost ({1}); {2} block(s) reassigned, {3} worker(s) left", worker, why, blocks.Length, _workers.Count);
        if (_job is { Round.Plan: not null } job)
        {
            Restart(job);
            return;
        }

        _job?.Round.Requeue(blocks);
        Dispatch();
    }

    /// <summary>
    /// Downs a lost worker's node right away rather than after the split brain resolver's stable-after: the job has
    /// dropped it, and an unreachable member would hold up the cluster's convergence and this node's leaving.
    /// </summary>
    private void DownNode(Address address)
    {
        if (_workers.At(address).Count == 0)
        {
            _cluster?.Down(address);
        }
    }

    private void CheckReady()
    {
        // Ready once enough workers ask for work: a remote one does so when its data plane is up, so the first step
        // already knows where every worker listens for peers.
        if (_job is { } job && _readyWaiter is not null && _workers.All.Count(w => w.Credits > 0) >= job.Begin.MinWorkers)
        {
            _readyWaiter.Tell(new JobReady(job.Offer.JobId, _workers.Count, job.DataPlane is { } dataPlane ? dataPlane.Server.TryWriteJobParameters : null));
            _readyWaiter = null;
        }
    }

    private void Refuse(IActorRef worker, string reason)
    {
        _log.Warning(reason);
        worker.Tell(new WorkerRefused(reason));
    }

    private static bool IsInProcess(IActorRef actor) => actor.Path.Address.HasLocalScope;

    private sealed record StreamedVersion(long Version, int[] Members);

    private sealed record JobState(
        BeginJob Begin, JobOffer Offer, string ArchitectureHash, StepRound Round, GradientBufferPool Pool, ActorWorkerChannel Local, DataPlaneChannel? DataPlane,
        TopologyChooser Topology)
    {
        /// <summary>The job id as data-plane frames carry it.</summary>
        public Guid FrameJobId { get; } = FrameCodec.JobIdOf(Offer.JobId);
    }
}
