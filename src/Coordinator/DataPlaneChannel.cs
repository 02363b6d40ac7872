using System.Net;
using Akka.Actor;
using Akka.Event;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Coordinator;

/// <summary>
/// The channel to remote workers: the job's <see cref="DataPlaneServer"/>, whose read threads tell the coordinator actor
/// what arrived (<see cref="DataPlaneEvent"/>). A gradient arrives as a <see cref="ReceivedGradient"/>: owned when it was
/// read from the socket into a pool buffer, lent when it was left in the worker's shared memory, pinned there on the
/// read thread, while the connection that shares that memory is surely open. Blocks and parameters go out on the same
/// connection, the parameters through shared memory where the server found the worker shares it at its handshake.
/// Sends are asynchronous, so a stalled worker never blocks the coordinator; a failed one is told to the coordinator as
/// a lost connection.
/// </summary>
public sealed class DataPlaneChannel : IWorkerChannel, IAsyncDisposable
{
    private readonly IActorRef _coordinator;
    private readonly ILoggingAdapter _log;

    /// <summary>
    /// With <paramref name="takeShardSum"/>, a shard sum is first offered to it on the read thread that read it (see
    /// <see cref="ShardSumSink"/>); one it does not take, and every other frame, goes to the coordinator actor.
    /// </summary>
    public DataPlaneChannel(string jobId, string token, GradientBufferPool pool, IActorRef coordinator, ILoggingAdapter log, ClusterCertificate? tls, WireFormat wire = WireFormat.Float32, ShardSumSink? takeShardSum = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentNullException.ThrowIfNull(log);
        _coordinator = coordinator;
        _log = log;
        Server = new DataPlaneServer(jobId, token, pool.Length, new DataPlaneServerCallbacks
        {
            RentGradientBuffer = pool.Rent,
            ReturnGradientBuffer = pool.Return,
            OnGradient = (worker, header, gradient) =>
                coordinator.Tell(new DataPlaneEvent.GradientArrived(worker, ReceivedGradient.Owned(header, gradient, pool, ComputeMilliseconds(header)))),
            OnSharedGradient = Lend,
            OnRefused = (endpoint, reason) => log.Warning("data plane refused {0}: {1}", endpoint, reason),
            OnInvalidFrame = (worker, reason) => log.Warning("data plane dropped worker #{0}: {1}", worker, reason),
            OnDisconnected = worker => coordinator.Tell(new DataPlaneEvent.Disconnected(worker, "connection closed")),
            OnPeerFrame = (worker, header, payload) =>
            {
                if (header.Kind != FrameKind.ShardSum || payload is null || takeShardSum is null || !takeShardSum(this, worker, header, payload))
                {
                    coordinator.Tell(new DataPlaneEvent.PeerFrame(worker, header, payload));
                }
            },
        }, tls, wire);
    }

    public DataPlaneServer Server { get; }

    public bool InProcess => false;

    public void Start(IPAddress bind, int port) => Server.Start(bind, port);

    /// <summary>
    /// Sends the block on the worker's connection, behind the parameters of the step's version when the worker does not
    /// have them yet; under peer reduction the members have them from the relay, and only the block goes.
    /// </summary>
    public void Assign(WorkerEntry worker, StepRound round, WorkBlock block)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(round);
        var id = worker.Id;
        round.Detach(id);
        try
        {
            var header = new FrameHeader
            {
                ParameterVersion = round.Version,
                Epoch = round.Work.Epoch,
                Step = round.Work.Step,
                FirstMicrobatch = block.FirstMicrobatch,
                MicrobatchCount = block.MicrobatchCount,
                FirstSample = block.FirstSample,
            };
            if (round.Plan is not null)
            {
                Watch(Server.SendAssignmentAsync(id, header with { Attempt = round.Attempt }, round.RowsPayload(block)), id);
            }
            else if (worker.ParametersSent != round.Version)
            {
                worker.ParametersSent = round.Version;
                round.BytesOut += (long)round.Parameters.Length * round.ElementBytes;
                Watch(Server.SendParametersAndAssignmentAsync(id, round.VersionParameters, header, round.RowsPayload(block)), id);
            }
            else
            {
                Watch(Server.SendAssignmentAsync(id, header, round.RowsPayload(block)), id);
            }
        }
        catch (InvalidOperationException e)
        {
            Lost(id, e.Message);
        }
    }

    public void Close(WorkerEntry worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        Server.Disconnect(worker.Id);
    }

    /// <summary>Reports a send to <paramref name="workerId"/> that fails later as that worker's lost connection.</summary>
    public void Watch(ValueTask send, int workerId)
    {
        var coordinator = _coordinator;
        send.AsTask().ContinueWith(
            sent => coordinator.Tell(new DataPlaneEvent.Disconnected(workerId, $"send failed: {sent.Exception?.GetBaseException().Message}")),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Reports a send that could not start (the worker has no connection) as that worker's lost connection.</summary>
    public void Lost(int workerId, string reason) => _coordinator.Tell(new DataPlaneEvent.Disconnected(workerId, reason));

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private static double ComputeMilliseconds(in FrameHeader header) => header.ComputeMicroseconds / 1000.0;

    /// <summary>
    /// Tells the coordinator of a gradient left in the worker's shared memory, pinned until the coordinator lets it go:
    /// the worker rewrites that slot only for a block handed out later, and <see cref="Assign"/> copies it out first when
    /// that happens within the step. Without a pin (the server is closing and the worker's file is gone) the block stays
    /// out, to be reassigned when the worker's loss is told.
    /// </summary>
    private void Lend(int workerId, FrameHeader header)
    {
        if (Server.PinGradient(workerId, header) is { } pin)
        {
            _coordinator.Tell(new DataPlaneEvent.GradientArrived(workerId, ReceivedGradient.Lent(header, pin.Gradient, workerId, pin, ComputeMilliseconds(header))));
        }
        else
        {
            _log.Warning("gradient for step {0} from worker #{1} arrived as its connection closed; its block is reassigned", header.Step, workerId);
        }
    }
}
