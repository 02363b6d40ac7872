using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using SegaLearn.Training;

namespace SegaLearn.Protocol;

/// <summary>
/// The coordinator's end of the data plane: one TCP connection per remote worker, parameters out, gradients in.
/// <para>
/// Handshake: the worker's first frame is a Hello with the job id hash, its worker id and, as payload, the proof
/// <see cref="JobToken.ComputeProof"/> (an HMAC keyed by the job token, so the token itself never crosses this
/// connection). A wrong job, proof or a worker id that is connected already gets a Refused frame and the connection
/// is closed; otherwise a HelloAck. Without TLS this keeps out strangers and stale workers, not an attacker on the path.
/// </para>
/// <para>
/// A worker on the same machine may offer a <see cref="SharedTensorFile"/> in its Hello; when the coordinator finds it,
/// parameters and gradients of that worker go through the file and only their headers through the socket. A worker
/// that also maps the job's <see cref="SharedParameterFile"/> (and says so in its Hello) reads parameters from there,
/// so one copy per version serves all local workers.
/// </para>
/// <para>
/// Each connection has a read thread (blocking reads straight into rented gradient buffers) and a write thread
/// (blocking writes straight from the caller's parameters), so a step allocates nothing.
/// </para>
/// </summary>
public sealed class DataPlaneServer : IAsyncDisposable
{
    private const int HandshakeTimeoutMilliseconds = 10_000;

    private readonly Guid _jobId;
    private readonly string _token;
    private readonly int _parameterCount;
    private readonly DataPlaneServerCallbacks _callbacks;
    private readonly ConcurrentDictionary<int, FrameChannel> _connections = new();
    private readonly ConcurrentDictionary<int, SharedTensorFile> _shared = new();
    private readonly ConcurrentDictionary<int, bool> _mapsJobParameters = new();
    private readonly ConcurrentDictionary<int, PeerEndpoint> _peerEndpoints = new();
    private readonly SharedParameterFile? _parameterFile;
    private readonly ClusterCertificate? _tls;
    private readonly WireFormat _wire;
    private Socket? _listener;
    private volatile bool _disposed;

    /// <summary>
    /// A server for one job; with <paramref name="tls"/> every connection is TLS with that certificate on both sides,
    /// checked before the Hello. Tensors go out in <paramref name="wire"/>.
    /// </summary>
    public DataPlaneServer(string jobId, string token, int parameterCount, DataPlaneServerCallbacks callbacks, ClusterCertificate? tls = null, WireFormat wire = WireFormat.Float32)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentNullException.ThrowIfNull(callbacks);
        _jobId = FrameCodec.JobIdOf(jobId);
        _token = token;
        _parameterCount = parameterCount;
        _callbacks = callbacks;
        _tls = tls;
        _wire = wire;
        _parameterFile = SharedParameterFile.TryCreate(_jobId, parameterCount);
    }

    /// <summary>Where workers on this machine map the job's parameters (<see cref="SharedParameterFile"/>), or null where they cannot.</summary>
    public string? SharedParametersPath => _parameterFile?.Path;

    /// <summary>
    /// From any thread: runs the trainer's update of version <paramref name="version"/> with the job's parameter file as
    /// its mirror (<see cref="SharedParameterFile.TryWrite"/>), so publishing that version to mapping workers copies
    /// nothing; false, without running it, where there is no such file or it is closed.
    /// </summary>
    public bool TryWriteJobParameters(long version, Training.ParameterUpdate update) => _parameterFile?.TryWrite(version, update) ?? false;

    /// <summary>The port listened on (the one chosen by the system when started with port 0); 0 before <see cref="Start"/>.</summary>
    public int Port { get; private set; }

    /// <summary>Worker ids with an accepted connection at this moment.</summary>
    public IEnumerable<int> ConnectedWorkers => _connections.Where(c => c.Value.IsOpen).Select(c => c.Key);

    public void Start(IPAddress bind, int port)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_listener is not null)
            throw new InvalidOperationException("The data-plane server is started already.");
        var listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(bind, port));
            listener.Listen();
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        new Thread(() => Protocol.Handshake.AcceptConnections(listener, () => _disposed, Serve, "segalearn-data-plane-in"))
        {
            IsBackground = true,
            Name = "segalearn-data-plane-accept",
        }.Start();
    }

    /// <summary>
    /// Sends parameters of <paramref name="version"/> to a worker. Sends to different workers may run concurrently;
    /// sends to one worker queue up. <paramref name="parameters"/> is written to the socket as is, so it must stay
    /// unchanged until the returned task completes. The task must be awaited (or turned into a Task) exactly once: the
    /// worker's next send waits for that; its continuation may run on the connection's write thread, so never block
    /// there on another send to the same worker.
    /// Throws <see cref="InvalidOperationException"/> when the worker has no accepted connection; a failed send drops the
    /// connection (reported through <see cref="DataPlaneServerCallbacks.OnDisconnected"/>) and faults the task.
    /// </summary>
    public ValueTask SendParametersAsync(int workerId, long version, ReadOnlyMemory<float> parameters, CancellationToken cancellationToken = default)
    {
        var channel = ChannelOf(workerId);
        var (header, payload) = ParametersFrame(workerId, version, parameters);
        return channel.SendAsync(header, payload, cancellationToken);
    }

    /// <summary>
    /// The Parameters frame for a worker: a header alone when the tensor went into shared memory (the job's parameter
    /// file, written once per version, or the worker's own file), else header and <paramref name="parameters"/>.
    /// </summary>
    private (FrameHeader Header, ReadOnlyMemory<float> Payload) ParametersFrame(int workerId, long version, ReadOnlyMemory<float> parameters)
    {
        if (parameters.Length != _parameterCount)
            throw new ArgumentException($"Expected {_parameterCount} parameters, got {parameters.Length}.", nameof(parameters));
        var header = new FrameHeader { Kind = FrameKind.Parameters, JobId = _jobId, WorkerId = workerId, ParameterVersion = version };
        if (_mapsJobParameters.ContainsKey(workerId) && _parameterFile!.TryPublish(version, parameters.Span))
            return (header with { SharedSlot = FrameHeader.SharedJobParameters }, ReadOnlyMemory<float>.Empty);
        if (_shared.TryGetValue(workerId, out var shared) && shared.TryWriteParameters(parameters.Span))
            return (header with { SharedSlot = FrameHeader.SharedParameters }, ReadOnlyMemory<float>.Empty);
        return (header, parameters);
    }

    /// <summary>
    /// Where worker <paramref name="workerId"/> accepts peer connections: the address its data-plane connection comes from
    /// and the port its Hello named; null for a worker that shares memory with this machine or offered no peer port.
    /// </summary>
    public PeerEndpoint? PeerEndpointOf(int workerId) => _peerEndpoints.TryGetValue(workerId, out var endpoint) ? endpoint : null;

    /// <summary>
    /// Starts an attempt at a step under peer reduction whose members lack its version: sends <paramref name="plan"/>
    /// and the parameters of its version to the plan's first member, which relays both down the members. The same rules
    /// as <see cref="SendParametersAsync"/> hold for the task and the buffer.
    /// </summary>
    public ValueTask SendPlanAndParametersAsync(StepPlan plan, ReadOnlyMemory<float> parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var head = plan.Members[0].WorkerId;
        var channel = ChannelOf(head);
        var planHeader = plan.Header() with { JobId = _jobId, WorkerId = head };
        if (!plan.ParametersFollow)
            throw new ArgumentException("A plan without parameters goes to every member (SendPlanAsync).", nameof(plan));
        if (parameters.Length != _parameterCount)
            throw new ArgumentException($"Expected {_parameterCount} parameters, got {parameters.Length}.", nameof(parameters));
        var parametersHeader = new FrameHeader { Kind = FrameKind.Parameters, JobId = _jobId, WorkerId = head, ParameterVersion = plan.ParameterVersion };
        return channel.SendPairAsync(planHeader, plan.ToPayload(), parametersHeader, parameters, cancellationToken);
    }

    /// <summary>
    /// Sends a plan without parameters (the members have its version, streamed during the step before) to member
    /// <paramref name="workerId"/>: sent to each member straight away, it reaches the last as soon as the first, with no
    /// relay hop.
    /// </summary>
    public ValueTask SendPlanAsync(int workerId, StepPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.ParametersFollow)
            throw new ArgumentException("A plan with parameters goes to the first member (SendPlanAndParametersAsync).", nameof(plan));
        return ChannelOf(workerId).SendAsync(plan.Header() with { JobId = _jobId, WorkerId = workerId }, plan.ToPayload(), cancellationToken);
    }

    /// <summary>
    /// Sends parameters [<paramref name="offset"/>, +<paramref name="values"/>.Length) of <paramref name="version"/> to the
    /// member <paramref name="head"/> owning that shard, which forwards them to the other members of the last plan (see
    /// <see cref="FrameKind.ParameterChunk"/>). Sends to one worker go out in the order made; the same rules as
    /// <see cref="SendParametersAsync"/> hold for the task and the buffer.
    /// </summary>
    public ValueTask SendParameterChunkAsync(int head, long version, int offset, ReadOnlyMemory<float> values, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || values.IsEmpty || (long)offset + values.Length > _parameterCount)
            throw new ArgumentOutOfRangeException(nameof(offset), $"A chunk at {offset} of {values.Length} parameters; the model has {_parameterCount}.");
        var header = new FrameHeader { Kind = FrameKind.ParameterChunk, JobId = _jobId, WorkerId = head, ParameterVersion = version, ElementOffset = offset };
        return ChannelOf(head).SendAsync(header, values, cancellationToken);
    }

    private FrameChannel ChannelOf(int workerId) =>
        _connections.TryGetValue(workerId, out var channel) && channel.IsOpen
            ? channel
            : throw new InvalidOperationException($"Worker {workerId} has no data-plane connection.");

    /// <summary>
    /// Sends a block assignment to a worker: <paramref name="header"/> gives parameter version, epoch, step, microbatch
    /// range and first sample; <paramref name="rows"/> the block's data rows as int32 bit patterns
    /// (<see cref="FrameCodec.RowsPayload"/>). Ordered after earlier sends to that worker; the same rules as
    /// <see cref="SendParametersAsync"/> hold for the task and the buffer.
    /// </summary>
    public ValueTask SendAssignmentAsync(int workerId, FrameHeader header, ReadOnlyMemory<float> rows, CancellationToken cancellationToken = default)
    {
        var channel = ChannelOf(workerId);
        return channel.SendAsync(AssignmentHeader(workerId, header, rows), rows, cancellationToken);
    }

    /// <summary>
    /// Sends a worker the parameters of <paramref name="header"/>'s version and then a block assignment, as
    /// <see cref="SendParametersAsync"/> and <see cref="SendAssignmentAsync"/> would one after the other, but in one
    /// write when the parameters travel in shared memory: the worker then wakes once per step, and the coordinator,
    /// which still has other workers to serve, is not made to wait behind it for a core.
    /// </summary>
    public ValueTask SendParametersAndAssignmentAsync(int workerId, ReadOnlyMemory<float> parameters, FrameHeader header, ReadOnlyMemory<float> rows, CancellationToken cancellationToken = default)
    {
        var channel = ChannelOf(workerId);
        var (parametersHeader, payload) = ParametersFrame(workerId, header.ParameterVersion, parameters);
        return channel.SendPairAsync(parametersHeader, payload, AssignmentHeader(workerId, header, rows), rows, cancellationToken);
    }

    private FrameHeader AssignmentHeader(int workerId, FrameHeader header, ReadOnlyMemory<float> rows) =>
        header with { Kind = FrameKind.Assign, JobId = _jobId, WorkerId = workerId, SampleCount = rows.Length };

    /// <summary>
    /// A pin on the shared-memory slot of a gradient reported through <see cref="DataPlaneServerCallbacks.OnSharedGradient"/>,
    /// to read it in place until disposed, even after the worker is gone; null once the worker's connection (and so its
    /// file) is gone.
    /// </summary>
    public SharedSlotPin? PinGradient(int workerId, in FrameHeader header) =>
        header.SharedSlot >= FrameHeader.SharedSlotBase && _shared.TryGetValue(workerId, out var shared)
            ? shared.PinSlot(header.SharedSlot - FrameHeader.SharedSlotBase)
            : null;

    /// <summary>Closes a worker's connection, e.g. when the cluster reports it unreachable; <see cref="DataPlaneServerCallbacks.OnDisconnected"/> follows.</summary>
    public void Disconnect(int workerId)
    {
        if (_connections.TryGetValue(workerId, out var channel))
            channel.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed)
            return ValueTask.CompletedTask;
        _disposed = true;
        _listener?.Dispose();
        _parameterFile?.Dispose();
        foreach (var (workerId, channel) in _connections)
        {
            channel.TrySend(new FrameHeader { Kind = FrameKind.Bye, JobId = _jobId, WorkerId = workerId });
            channel.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    private void Serve(Socket socket)
    {
        var remote = socket.RemoteEndPoint;
        FrameChannel? channel = null;
        int workerId;
        try
        {
            socket.ReceiveTimeout = HandshakeTimeoutMilliseconds;
            channel = new FrameChannel(socket, _tls, asServer: true) { TensorFormat = _wire };
            if (Handshake(channel) is not { } accepted)
            {
                channel.Dispose();
                return;
            }
            workerId = accepted;
            socket.ReceiveTimeout = 0;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or AuthenticationException)
        {
            if (channel is null)
                socket.Dispose();
            else
                channel.Dispose();
            if (!_disposed)
                _callbacks.OnRefused?.Invoke(remote, e is AuthenticationException ? e.Message : $"handshake failed: {e.Message}");
            return;
        }
        ReadGradients(workerId, channel);
    }

    /// <summary>The worker id once the Hello checks out and HelloAck is sent; null after a refusal.</summary>
    private int? Handshake(FrameChannel channel)
    {
        if (!channel.TryReadHeader(out var hello))
            return Refuse(channel, "closed before its Hello", sendRefused: false);
        if (hello.Kind != FrameKind.Hello)
            return Refuse(channel, $"first frame was {hello.Kind}, not Hello", sendRefused: false);
        switch (Protocol.Handshake.ReadHello(channel, hello, _token, _jobId))
        {
            case Protocol.Handshake.HelloCheck.WrongLength:
                return Refuse(channel, $"worker {hello.WorkerId} sent a Hello of {hello.ElementCount} elements, not {JobToken.ProofLength / sizeof(float)}");
            case Protocol.Handshake.HelloCheck.OtherJob:
                return Refuse(channel, $"worker {hello.WorkerId} asked for another job");
            case Protocol.Handshake.HelloCheck.WrongProof:
                return Refuse(channel, $"worker {hello.WorkerId} presented a wrong token");
        }

        if (_disposed || !_connections.TryAdd(hello.WorkerId, channel))
            return Refuse(channel, $"worker {hello.WorkerId} is connected already");
        var slots = hello.SharedSlot & ~FrameHeader.MapsJobParameters;
        var shared = slots > 0 ? SharedTensorFile.TryOpen(SharedTensorFile.PathFor(_jobId, hello.WorkerId), _parameterCount, slots) : null;
        if (shared is null && hello.PeerPort is > 0 and <= 65535 && channel.RemoteEndPoint is IPEndPoint remote)
            _peerEndpoints[hello.WorkerId] = new PeerEndpoint(hello.WorkerId, remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address, hello.PeerPort);
        if (shared is not null)
        {
            _shared[hello.WorkerId] = shared;
            if ((hello.SharedSlot & FrameHeader.MapsJobParameters) != 0 && _parameterFile is not null)
                _mapsJobParameters[hello.WorkerId] = true;
        }
        // Open before the HelloAck: once the worker has it, the coordinator may send to it at any moment.
        channel.Open("segalearn-data-plane-out");
        try
        {
            channel.Send(new FrameHeader { Kind = FrameKind.HelloAck, JobId = _jobId, WorkerId = hello.WorkerId, SharedSlot = shared is null ? (byte)0 : (byte)1 }, []);
        }
        catch
        {
            if (_shared.TryRemove(hello.WorkerId, out var unused))
                unused.Dispose();
            _mapsJobParameters.TryRemove(hello.WorkerId, out _);
            _peerEndpoints.TryRemove(hello.WorkerId, out _);
            _connections.TryRemove(new KeyValuePair<int, FrameChannel>(hello.WorkerId, channel));
            throw;
        }

        return hello.WorkerId;
    }

    private void ReadPeerFrame(int workerId, FrameChannel channel, in FrameHeader header)
    {
        if (_callbacks.OnPeerFrame is not { } onPeerFrame)
            throw new FrameException($"Worker {workerId} sent a {header.Kind} frame, but this coordinator runs no peer reduction.");
        if (header.Kind != FrameKind.ShardSum)
        {
            if (header.ElementCount != 0)
                throw new FrameException($"A {header.Kind} frame of {header.ElementCount} elements from worker {workerId}.");
            onPeerFrame(workerId, header, null);
            return;
        }

        if (header.ElementOffset < 0 || (long)header.ElementOffset + header.ElementCount > _parameterCount)
            throw new FrameException($"A shard sum at {header.ElementOffset} of {header.ElementCount} elements from worker {workerId}; the model has {_parameterCount}.");
        var shard = _callbacks.RentGradientBuffer();
        try
        {
            channel.ReadPayload(header, shard);
        }
        catch
        {
            _callbacks.ReturnGradientBuffer?.Invoke(shard);
            throw;
        }
        onPeerFrame(workerId, header, shard);
    }

    private SharedTensorFile SharedFileOf(int workerId, in FrameHeader header)
    {
        if (header.ElementCount != 0 || !_shared.TryGetValue(workerId, out var shared))
            throw new FrameException($"Worker {workerId} sent a gradient in shared memory it did not share, or with {header.ElementCount} inline elements as well.");
        if (header.SharedSlot - FrameHeader.SharedSlotBase >= shared.Slots)
            throw new FrameException($"Gradient slot {header.SharedSlot - FrameHeader.SharedSlotBase} of worker {workerId} is not in its shared file.");
        return shared;
    }

    private int? Refuse(FrameChannel channel, string reason, bool sendRefused = true)
    {
        if (sendRefused)
            channel.TrySend(new FrameHeader { Kind = FrameKind.Refused, JobId = _jobId });
        _callbacks.OnRefused?.Invoke(channel.RemoteEndPoint, reason);
        return null;
    }

    private void ReadGradients(int workerId, FrameChannel channel)
    {
        string? fault = null;
        try
        {
            _callbacks.OnConnected?.Invoke(workerId);
            while (channel.TryReadHeader(out var header) && header.Kind != FrameKind.Bye)
            {
                if (header.JobId != _jobId || header.WorkerId != workerId)
                    throw new FrameException($"Wrong job or worker in a {header.Kind} frame from worker {workerId} (says worker {header.WorkerId}).");
                if (FrameCodec.IsPeerReport(header.Kind))
                {
                    ReadPeerFrame(workerId, channel, header);
                    continue;
                }

                if (header.Kind != FrameKind.Gradient)
                    throw new FrameException($"Unexpected {header.Kind} frame from worker {workerId}.");
                var shared = header.SharedSlot >= FrameHeader.SharedSlotBase ? SharedFileOf(workerId, header) : null;
                if (shared is null && header.ElementCount != _parameterCount)
                    throw new FrameException($"Gradient of {header.ElementCount} elements from worker {workerId}; the model has {_parameterCount}.");
                if (shared is not null && _callbacks.OnSharedGradient is { } onShared)
                {
                    onShared(workerId, header);
                    continue;
                }

                var gradient = _callbacks.RentGradientBuffer();
                try
                {
                    if (shared is null)
                        channel.ReadPayload(header, gradient);
                    else if (!shared.TryReadSlot(header.SharedSlot - FrameHeader.SharedSlotBase, gradient))
                        throw new FrameException($"Gradient slot {header.SharedSlot - FrameHeader.SharedSlotBase} of worker {workerId} is not in its shared file.");
                }
                catch
                {
                    _callbacks.ReturnGradientBuffer?.Invoke(gradient);
                    throw;
                }
                _callbacks.OnGradient(workerId, header, gradient);
            }
        }
        catch (FrameException e)
        {
            fault = e.Message;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The connection is gone; OnDisconnected below says so.
        }
        catch (Exception e)
        {
            fault = $"a callback threw {e.GetType().Name}: {e.Message}";
        }
        _connections.TryRemove(new KeyValuePair<int, FrameChannel>(workerId, channel));
        channel.Dispose();
        if (_shared.TryRemove(workerId, out var file))
            file.Dispose();
        _mapsJobParameters.TryRemove(workerId, out _);
        _peerEndpoints.TryRemove(workerId, out _);
        if (_disposed)
            return;
        if (fault is not null)
            _callbacks.OnInvalidFrame?.Invoke(workerId, fault);
        _callbacks.OnDisconnected?.Invoke(workerId);
    }
}
