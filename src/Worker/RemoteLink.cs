using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using SegaLearn.Protocol;

namespace SegaLearn.Worker;

/// <summary>
/// A remote worker's data-plane connection and its compute loop. Parameter versions and block assignments arrive in
/// the order sent; each block is computed as soon as the parameters of its version are there.
/// <para>
/// A worker sharing memory with the coordinator computes on the connection's read thread and sends the gradient back
/// before it reads on: a hop through another thread would wake one more thread per step, and on a machine whose cores
/// are all busy that wake-up waited up to a scheduler slice (p90 0.7 ms, measured).
/// </para>
/// <para>
/// A worker on another machine also takes part in peer reduction (<see cref="StepPlan"/>): parameters come relayed by
/// the previous member, each block's gradient goes out in shards to their owners, and the shard this worker owns is
/// summed here and sent to the coordinator. Parameters and pieces then arrive on several threads, so blocks and sums
/// run on a compute thread of the link's own, one block at a time on the job's backend. A star block (its gradient goes
/// straight to the coordinator) whose parameters came first, while nothing else computes, runs on the read thread
/// instead, as on a worker sharing memory, with no wake-up of the compute thread on the step's critical path.
/// </para>
/// The worker actor keeps the job's lifecycle (offer, registration, end), not the data path. A lost connection, or a
/// block that cannot be computed, ends the link and reaches the actor as <see cref="DataPlaneClosed"/>.
/// </summary>
public sealed class RemoteLink : IDisposable
{
    private readonly WorkerJob _job;
    private readonly IActorRef _worker;
    private readonly Queue<(AssignWork Work, int Attempt)> _waiting = new();
    private readonly object _gate = new();
    private readonly List<ReadOnlyMemory<float>> _retired = [];
    private readonly ShardReducer _reducer;
    private DataPlaneClient _client = null!;
    private PeerMesh? _peers;
    private Thread? _computeThread;
    private float[] _ownGradient = [];
    private ReadOnlyMemory<float> _parameters;
    private long _parametersVersion = -1;
    private StepPlan? _plan;
    private readonly System.Collections.Concurrent.ConcurrentBag<float[]> _sumBuffers = [];
    private bool _computing;
    private volatile bool _stopping;
    private int _nextSlot;
    private int _blocksOnReadThread;

    private RemoteLink(WorkerJob job, IActorRef worker)
    {
        _job = job;
        _worker = worker;
        _reducer = new ShardReducer(job.Offer.Wire);
    }

    /// <summary>Whether tensors go through shared memory (a worker on the coordinator's machine).</summary>
    public bool SharesMemory => _client.SharesMemory;

    /// <summary>Whether parameters come from the job's parameter file, written once for all workers on the machine.</summary>
    public bool MapsJobParameters => _client.MapsJobParameters;

    /// <summary>Star blocks computed on the connection's read thread rather than the compute thread (tests).</summary>
    internal int BlocksOnReadThread => Volatile.Read(ref _blocksOnReadThread);

    /// <summary>Whether the worker takes part in peer reduction (it does not share memory with the coordinator).</summary>
    public bool JoinsPeers => _peers is not null;

    /// <summary>
    /// Connects the worker's data plane and starts computing what arrives on it. With shared memory allowed, it offers
    /// a shared file with as many gradient slots as the worker has <paramref name="credits"/>: the coordinator hands this
    /// worker a new block only once it has the result of its oldest one, and first copies out any result of this worker
    /// it still reads in place, so a slot, used round robin, is never rewritten while the coordinator reads it (a result
    /// of a finished step may be, but such a result is dropped as stale). Otherwise (or when the coordinator is on
    /// another machine) it listens for peers on <paramref name="peerPort"/> (0: any) and joins peer reduction.
    /// <paramref name="worker"/> is told <see cref="DataPlaneClosed"/> when the link ends. With <paramref name="tls"/> the
    /// connections to the coordinator and to peers are TLS with that certificate.
    /// </summary>
    public static async Task<RemoteLink> ConnectAsync(
        string host, int port, WorkerJob job, int workerId, int credits, IActorRef worker, bool sharedMemory = true, int peerPort = 0, ClusterCertificate? tls = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(worker);
        var link = new RemoteLink(job, worker);
        var offer = job.Offer;
        // Peers of a coordinator on loopback are on this machine too, so the listener need not reach beyond it; peers
        // reach it at the address the coordinator saw this worker come from, of the coordinator address's family. A name
        // such as localhost says no family, so it keeps the dual-mode listener.
        var bind = !IPAddress.TryParse(host, out var coordinator) || !IPAddress.IsLoopback(coordinator) ? IPAddress.IPv6Any
            : coordinator.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback
            : IPAddress.Loopback;
        var peers = new PeerMesh(offer.JobId, offer.Token, workerId, job.ParameterCount, bind, peerPort, new PeerMeshCallbacks
        {
            OnPlan = link.OnPlan,
            RentParameters = () => link._client.RentParameters(),
            ReturnParameters = buffer => link._client.ReturnParameters(buffer),
            OnParameters = (version, parameters) => link.OnParameters(version, parameters),
            RentPiece = header => link._reducer.Rent(header),
            OnPiece = link.TakePiece,
            OnPeerLost = link.OnPeerLost,
        }, tls, offer.Wire);
        try
        {
            // The client reaches the link through Attach, before its read thread can call back.
            await DataPlaneClient.ConnectAsync(
                host,
                port,
                offer.JobId,
                offer.Token,
                workerId,
                job.ParameterCount,
                link.OnParameters,
                link.OnAssignment,
                error => worker.Tell(new DataPlaneClosed(error?.Message)),
                CancellationToken.None,
                sharedSlots: sharedMemory ? credits : 0,
                beforeReading: client => link.Attach(client, peers),
                jobParameters: sharedMemory ? offer.SharedParameters : null,
                peers: peers,
                tls: tls,
                wire: offer.Wire).ConfigureAwait(false);
        }
        catch
        {
            peers.Dispose();
            throw;
        }

        return link;
    }

    private void Attach(DataPlaneClient client, PeerMesh peers)
    {
        _client = client;
        _ownGradient = client.SharesMemory ? [] : new float[_job.ParameterCount];
        if (client.SharesMemory)
        {
            peers.Dispose();
            return;
        }

        _peers = peers;
        _computeThread = new Thread(ComputeLoop) { IsBackground = true, Name = "segalearn-worker-compute" };
        _computeThread.Start();
    }

    /// <summary>Stops the link; returns once no thread computes any more.</summary>
    public void Dispose()
    {
        _stopping = true;
        lock (_gate)
            Monitor.PulseAll(_gate);
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _peers?.Dispose();
        if (_computeThread is { } thread && thread != Thread.CurrentThread)
            thread.Join();
    }

    private void OnParameters(long version, ReadOnlyMemory<float> parameters)
    {
        if (_peers is null)
        {
            ReplaceParameters(version, parameters);
            ComputeWaiting();
            return;
        }

        lock (_gate)
        {
            if (!_parameters.IsEmpty)
                _retired.Add(_parameters);
            _parameters = parameters;
            _parametersVersion = version;
            ReturnRetired();
            Monitor.PulseAll(_gate);
        }
    }

    private void ReplaceParameters(long version, ReadOnlyMemory<float> parameters)
    {
        if (!_parameters.IsEmpty)
            _client.ReturnParameters(_parameters);
        _parameters = parameters;
        _parametersVersion = version;
    }

    private void OnAssignment(FrameHeader header, int[] rows)
    {
        var work = new AssignWork(
            _job.Offer.JobId, header.ParameterVersion, header.Epoch, header.Step, header.FirstMicrobatch, header.MicrobatchCount, header.FirstSample, rows);
        if (_peers is not null)
        {
            // A star block whose parameters are here while nothing else computes runs on this read thread, as for a
            // worker sharing memory: waking the compute thread put a scheduler wake-up on every step's critical path.
            ReadOnlyMemory<float> parameters;
            lock (_gate)
            {
                if (header.Attempt != 0 || _computing || _waiting.Count > 0 || work.ParameterVersion != _parametersVersion)
                {
                    _waiting.Enqueue((work, header.Attempt));
                    Monitor.PulseAll(_gate);
                    return;
                }

                _computing = true;
                parameters = _parameters;
            }

            Interlocked.Increment(ref _blocksOnReadThread);
            try
            {
                ComputePeerBlock(work, parameters, 0, null);
            }
            finally
            {
                EndBlock();
            }

            return;
        }

        if (work.ParameterVersion == _parametersVersion)
            Compute(work);
        else if (work.ParameterVersion > _parametersVersion)
            _waiting.Enqueue((work, 0));
    }

    /// <summary>Star path: computes the waiting blocks whose parameters have arrived, drops those of older versions.</summary>
    private void ComputeWaiting()
    {
        var count = _waiting.Count;
        for (var i = 0; i < count; i++)
        {
            var (work, attempt) = _waiting.Dequeue();
            if (work.ParameterVersion == _parametersVersion)
                Compute(work);
            else if (work.ParameterVersion > _parametersVersion)
                _waiting.Enqueue((work, attempt));
        }
    }

    private void Compute(AssignWork work)
    {
        var started = Stopwatch.GetTimestamp();
        var gradient = _client.SharesMemory ? _client.GradientSlot(_nextSlot) : _ownGradient;
        var loss = ComputeBlock(work, _parameters.Span, gradient);
        var header = ResultHeader(work, loss, Stopwatch.GetElapsedTime(started), attempt: 0);
        if (_client.SharesMemory)
        {
            _client.SendSharedGradientAsync(header, _nextSlot).AsTask().GetAwaiter().GetResult();
            _nextSlot = (_nextSlot + 1) % _client.SharedSlots;
        }
        else
        {
            _client.SendGradient(header, _ownGradient);
        }
    }

    private double ComputeBlock(AssignWork work, ReadOnlySpan<float> parameters, Span<float> gradient)
    {
        try
        {
            return _job.Compute(work, parameters, gradient);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException($"computing step {work.Step} microbatches {work.FirstMicrobatch}+{work.MicrobatchCount} failed: {e.Message}", e);
        }
    }

    private static FrameHeader ResultHeader(AssignWork work, double lossSum, TimeSpan computeTime, int attempt) => new()
    {
        ParameterVersion = work.ParameterVersion,
        Epoch = work.Epoch,
        Step = work.Step,
        FirstMicrobatch = work.FirstMicrobatch,
        MicrobatchCount = work.MicrobatchCount,
        SampleCount = work.Rows.Length,
        LossSum = lossSum,
        ComputeMicroseconds = (int)Math.Min(int.MaxValue, computeTime.Ticks / TimeSpan.TicksPerMicrosecond),
        Attempt = attempt,
    };

    private void OnPlan(StepPlan plan)
    {
        var index = plan.IndexOf(_client.WorkerId);
        var complete = index >= 0 && _reducer.Begin(plan, index, _job.ParameterCount);
        lock (_gate)
        {
            if (_plan is null || StepPlan.Compare(plan.ParameterVersion, plan.Attempt, _plan.ParameterVersion, _plan.Attempt) > 0)
                _plan = plan;
            Monitor.PulseAll(_gate);
        }

        if (complete)
            SendReadyParts();
    }

    private void TakePiece(int sender, FrameHeader header, float[] buffer)
    {
        switch (_reducer.Add(header, buffer))
        {
            case PieceOutcome.Complete:
                SendReadyParts();
                break;
            case PieceOutcome.NotFinite or PieceOutcome.Malformed:
                Report(header with { Kind = FrameKind.Invalid, ElementCount = 0, PeerId = sender });
                break;
        }
    }

    private void OnPeerLost(int peer, string why) =>
        Report(new FrameHeader { Kind = FrameKind.PeerFailed, PeerId = peer, ParameterVersion = _parametersVersion });

    /// <summary>Best effort: a report that cannot be sent means the coordinator's connection is gone, which ends the link anyway.</summary>
    private void Report(FrameHeader header)
    {
        try
        {
            _client.SendToCoordinatorAsync(header, ReadOnlyMemory<float>.Empty).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            _worker.Tell(new DataPlaneClosed($"reporting to the coordinator failed: {e.Message}"));
        }
    }

    /// <summary>Peer path: runs blocks whose parameters and plan are here, and the owned shard's sum once complete.</summary>
    private void ComputeLoop()
    {
        try
        {
            while (NextTask() is { } task)
            {
                ComputePeerBlock(task.Work, task.Parameters, task.Attempt, task.Plan);
                EndBlock();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _worker.Tell(new DataPlaneClosed(e.Message));
        }
    }

    private (AssignWork Work, ReadOnlyMemory<float> Parameters, int Attempt, StepPlan? Plan)? NextTask()
    {
        lock (_gate)
        {
            while (!_stopping)
            {
                if (_computing)
                {
                    // The read thread computes a star block; the backend serves one block at a time.
                    Monitor.Wait(_gate);
                    continue;
                }

                var count = _waiting.Count;
                for (var i = 0; i < count; i++)
                {
                    var (work, attempt) = _waiting.Dequeue();
                    if (work.ParameterVersion < _parametersVersion
                        || (attempt > 0 && _plan is { } newer && StepPlan.Compare(work.ParameterVersion, attempt, newer.ParameterVersion, newer.Attempt) < 0))
                        continue;
                    var planned = attempt == 0 || (_plan is { } plan && plan.ParameterVersion == work.ParameterVersion && plan.Attempt == attempt);
                    if (work.ParameterVersion == _parametersVersion && planned)
                    {
                        for (var rest = i + 1; rest < count; rest++)
                            _waiting.Enqueue(_waiting.Dequeue());
                        _computing = true;
                        return (work, _parameters, attempt, attempt == 0 ? null : _plan);
                    }

                    _waiting.Enqueue((work, attempt));
                }

                Monitor.Wait(_gate);
            }

            return null;
        }
    }

    private void ComputePeerBlock(AssignWork work, ReadOnlyMemory<float> parameters, int attempt, StepPlan? plan)
    {
        var started = Stopwatch.GetTimestamp();
        var loss = ComputeBlock(work, parameters.Span, _ownGradient);
        var header = ResultHeader(work, loss, Stopwatch.GetElapsedTime(started), attempt);
        if (plan is null)
        {
            _client.SendGradient(header, _ownGradient);
            return;
        }

        // Part by part, in order, to every owner at once: each owner sums a part once every block's piece of it is in.
        var sends = new List<Task>();
        for (var shard = 0; shard < plan.Members.Count; shard++)
        {
            var owner = plan.Members[shard];
            var (shardOffset, shardLength) = StepPlan.ShardOf(shard, plan.Members.Count, _job.ParameterCount);
            foreach (var (offset, length) in StepPlan.PartsOf(shardOffset, shardLength, _job.Offer.Wire))
            {
                var piece = header with { Kind = FrameKind.Piece, ElementOffset = offset, ElementCount = length };
                if (owner.WorkerId != _client.WorkerId)
                {
                    sends.Add(_peers!.SendAsync(owner, piece, _ownGradient.AsMemory(offset, length)).AsTask());
                }
                else if (_reducer.Rent(piece) is { } own)
                {
                    _ownGradient.AsSpan(offset, length).CopyTo(own);
                    TakePiece(_client.WorkerId, piece, own);
                }
            }
        }

        Task.WaitAll(sends);
        _client.SendToCoordinatorAsync(header with { Kind = FrameKind.Done }, ReadOnlyMemory<float>.Empty).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Sums the owned shard's complete parts and sends each to the coordinator, on the thread whose piece completed them
    /// (no hop to another thread per part), on the job's second backend instance.
    /// </summary>
    private void SendReadyParts()
    {
        if (_reducer.Plan is not { } plan)
            return;
        var header = new FrameHeader
        {
            Kind = FrameKind.ShardSum,
            ParameterVersion = plan.ParameterVersion,
            Epoch = plan.Epoch,
            Step = plan.Step,
            Attempt = plan.Attempt,
        };
        while (_reducer.TakeReadyPart() is { } part)
        {
            if (!_sumBuffers.TryTake(out var buffer))
                buffer = new float[StepPlan.PartElements(_job.Offer.Wire)];
            try
            {
                var length = _reducer.SumPart(_job.SumBackend, part.Offset, buffer);
                _client.SendToCoordinatorAsync(header with { ElementOffset = part.Offset }, buffer.AsMemory(0, length)).AsTask().GetAwaiter().GetResult();
            }
            finally
            {
                _sumBuffers.Add(buffer);
            }
        }
    }

    /// <summary>
    /// Ends a block claimed by <c>_computing</c> (on the compute thread or the read thread): gives back the parameter
    /// buffers it kept from being returned, and wakes the compute thread, which waits while the read thread computes.
    /// </summary>
    private void EndBlock()
    {
        lock (_gate)
        {
            _computing = false;
            ReturnRetired();
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Gives parameter buffers replaced by newer versions back once no block computes on them.</summary>
    private void ReturnRetired()
    {
        if (_computing)
            return;
        foreach (var retired in _retired)
            _client.ReturnParameters(retired);
        _retired.Clear();
    }
}
