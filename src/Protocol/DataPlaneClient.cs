using System.Net.Sockets;
using System.Runtime.InteropServices;
using SegaLearn.Training;

namespace SegaLearn.Protocol;

/// <summary>
/// A remote worker's end of the data plane: one TCP connection to the coordinator's <see cref="DataPlaneServer"/>.
/// Parameters arrive on the client's read thread into buffers from its small pool; gradients go out on its write
/// thread straight from the caller's buffer. Nothing is allocated per step once the pool holds as many buffers as are in use.
/// </summary>
public sealed class DataPlaneClient : IAsyncDisposable
{
    private const int HandshakeTimeoutMilliseconds = 10_000;

    private readonly FrameChannel _channel;
    private readonly Guid _jobId;
    private readonly int _parameterCount;
    private readonly Action<long, ReadOnlyMemory<float>> _onParameters;
    private readonly SharedTensorFile? _shared;
    private readonly SharedParameterFile? _jobParameters;
    private readonly Action<FrameHeader, int[]> _onAssignment;
    private readonly Action<Exception?> _onClosed;
    private readonly Stack<float[]> _pool = new();
    private readonly PeerMesh? _peers;
    private Thread? _reader;
    private volatile bool _disposed;

    /// <summary>Rows of one assignment at most: a block is part of one mini-batch, far below this.</summary>
    private const int MaxAssignedRows = 1 << 24;

    private DataPlaneClient(
        FrameChannel channel, Guid jobId, int workerId, int parameterCount, SharedTensorFile? shared, SharedParameterFile? jobParameters,
        Action<long, ReadOnlyMemory<float>> onParameters, Action<FrameHeader, int[]> onAssignment, Action<Exception?> onClosed, PeerMesh? peers)
    {
        _peers = peers;
        _shared = shared;
        _jobParameters = jobParameters;
        _channel = channel;
        _jobId = jobId;
        WorkerId = workerId;
        _parameterCount = parameterCount;
        _onParameters = onParameters;
        _onAssignment = onAssignment;
        _onClosed = onClosed;
    }

    public int WorkerId { get; }

    /// <summary>Whether parameters and gradients go through a <see cref="SharedTensorFile"/> the coordinator accepted.</summary>
    public bool SharesMemory => _shared is not null;

    /// <summary>Whether parameters come through the job's <see cref="SharedParameterFile"/>, mapped by this client.</summary>
    public bool MapsJobParameters => _jobParameters is not null;

    /// <summary>Gradient slots of the shared file (0 without one).</summary>
    public int SharedSlots => _shared?.Slots ?? 0;

    /// <summary>
    /// Connects and performs the handshake (see <see cref="DataPlaneServer"/>), then starts reading.
    /// <paramref name="onParameters"/> receives each parameter version in a pooled buffer of exactly the parameter count,
    /// or in the shared file's parameter region; the callee hands it back with <see cref="ReturnParameters"/> when it no
    /// longer reads it (typically when a newer version replaces it). With <paramref name="sharedSlots"/> &gt; 0 the
    /// client offers a <see cref="SharedTensorFile"/> with that many gradient slots, used if the coordinator is on this
    /// machine, and with <paramref name="jobParameters"/> (the job offer's <see cref="SharedParameterFile.Path"/>) it maps
    /// the job's parameter file when it can and says so, to receive parameters there. <paramref name="onAssignment"/> receives each block
    /// assignment (header and data rows, a new array the callee keeps), always after the parameters sent before it. <paramref name="onClosed"/> is called once when the
    /// connection ends: null for an orderly end (Bye from the coordinator, or this client disposed), else the cause.
    /// Both run on the client's read thread, which reads nothing else meanwhile; an exception from either closes
    /// the connection and reaches onClosed, which itself must not throw. <paramref name="beforeReading"/> gets the
    /// client before the read thread starts, so the callbacks may use it. With <paramref name="peers"/> the worker offers
    /// to take part in peer reduction (its Hello names the mesh's port): Plan frames from the coordinator, and the
    /// Parameters frame after each, go to the mesh, which relays them to the next member.
    /// With <paramref name="tls"/> the connection is TLS, both sides presenting that certificate and accepting only it.
    /// Throws <see cref="DataPlaneRefusedException"/> when the coordinator refuses the Hello, and
    /// <see cref="System.Security.Authentication.AuthenticationException"/> when TLS fails.
    /// </summary>
    public static async Task<DataPlaneClient> ConnectAsync(
        string host,
        int port,
        string jobId,
        string token,
        int workerId,
        int parameterCount,
        Action<long, ReadOnlyMemory<float>> onParameters,
        Action<FrameHeader, int[]> onAssignment,
        Action<Exception?> onClosed,
        CancellationToken cancellationToken,
        int sharedSlots = 0,
        Action<DataPlaneClient>? beforeReading = null,
        string? jobParameters = null,
        PeerMesh? peers = null,
        ClusterCertificate? tls = null,
        WireFormat wire = WireFormat.Float32)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(token);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentNullException.ThrowIfNull(onParameters);
        ArgumentNullException.ThrowIfNull(onAssignment);
        ArgumentNullException.ThrowIfNull(onClosed);
        ArgumentOutOfRangeException.ThrowIfNegative(sharedSlots);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sharedSlots, (int)FrameHeader.MapsJobParameters);
        var jobHash = FrameCodec.JobIdOf(jobId);
        // Blocking calls on a pool thread rather than socket async methods, which would leave the socket non-blocking
        // and make every later read allocate (see FrameChannel); cancelling closes the socket to end a blocked call.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await using var cancellation = cancellationToken.Register(socket.Dispose).ConfigureAwait(false);
        try
        {
            var path = sharedSlots > 0 ? SharedTensorFile.PathFor(jobHash, workerId) : null;
            var offered = path is null ? null : SharedTensorFile.Create(path, parameterCount, sharedSlots);
            var mapped = offered is null ? null : SharedParameterFile.TryOpen(jobParameters, jobHash, parameterCount);
            SharedTensorFile? shared;
            FrameChannel channel;
            try
            {
                var helloSlots = (byte)((offered?.Slots ?? 0) + (mapped is null ? 0 : FrameHeader.MapsJobParameters));
                (channel, var accepted) = await Task.Run(() => Handshake(socket, host, port, jobId, jobHash, token, workerId, helloSlots, peers?.Port ?? 0, tls), cancellationToken).ConfigureAwait(false);
                shared = accepted ? offered : null;
            }
            catch
            {
                offered?.Dispose();
                mapped?.Dispose();
                throw;
            }
            finally
            {
                if (path is not null)
                    File.Delete(path);
            }

            if (shared is null)
            {
                offered?.Dispose();
                mapped?.Dispose();
                mapped = null;
            }
            channel.TensorFormat = wire;
            var client = new DataPlaneClient(channel, jobHash, workerId, parameterCount, shared, mapped, onParameters, onAssignment, onClosed, peers);
            channel.Open("segalearn-data-plane-out");
            beforeReading?.Invoke(client);
            client._reader = new Thread(client.ReadParameters) { IsBackground = true, Name = "segalearn-data-plane-in" };
            client._reader.Start();
            return client;
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
        {
            socket.Dispose();
            throw new OperationCanceledException($"Connecting worker {workerId} to the data plane at {host}:{port} was cancelled.", e, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static (FrameChannel Channel, bool SharedAccepted) Handshake(
        Socket socket, string host, int port, string jobId, Guid jobHash, string token, int workerId, byte sharedSlots, int peerPort, ClusterCertificate? tls)
    {
        socket.Connect(host, port);
        socket.ReceiveTimeout = HandshakeTimeoutMilliseconds;
        FrameChannel channel;
        try
        {
            channel = new FrameChannel(socket, tls, asServer: false);
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            throw new System.Security.Authentication.AuthenticationException($"The data plane at {host}:{port}: {e.Message}", e);
        }

        Protocol.Handshake.SendHello(channel, token, jobHash, workerId, new FrameHeader { SharedSlot = sharedSlots, PeerPort = peerPort });
        if (!channel.TryReadHeader(out var reply))
            throw new IOException($"The data plane at {host}:{port} closed the connection during the handshake of worker {workerId}.");
        if (reply.Kind == FrameKind.Refused)
            throw new DataPlaneRefusedException(
                $"The data plane at {host}:{port} refused worker {workerId} for job '{jobId}': wrong job id or token, or that worker id is connected already (the coordinator logs which).");
        if (reply.Kind != FrameKind.HelloAck || reply.ElementCount != 0)
            throw new FrameException($"Expected HelloAck from the data plane at {host}:{port}, got {reply.Kind} of {reply.ElementCount} elements.");
        socket.ReceiveTimeout = 0;
        return (channel, sharedSlots > 0 && reply.SharedSlot == 1);
    }

    /// <summary>
    /// Sends a gradient. <paramref name="header"/> supplies parameter version, epoch, step, microbatch range, sample
    /// count and loss sum; kind, job, worker id, element count and checksum are set here. Thread-safe; sends queue up.
    /// <paramref name="gradient"/> is written to the socket as is, so it must stay unchanged until the returned task
    /// completes. As for <see cref="DataPlaneServer.SendParametersAsync"/>, await the task exactly once.
    /// </summary>
    public ValueTask SendGradientAsync(FrameHeader header, ReadOnlyMemory<float> gradient, CancellationToken cancellationToken = default) =>
        _channel.SendAsync(GradientHeader(header, gradient.Length), gradient, cancellationToken);

    /// <summary>
    /// Sends a gradient as <see cref="SendGradientAsync"/> does, but writes it on the calling thread and returns once it is
    /// written (see <see cref="FrameChannel.SendOnThisThread"/>); throws as a failed send would.
    /// </summary>
    public void SendGradient(FrameHeader header, ReadOnlySpan<float> gradient) => _channel.SendOnThisThread(GradientHeader(header, gradient.Length), gradient);

    /// <summary>The header of a gradient of <paramref name="length"/> elements, once it is checked to be the model's size.</summary>
    private FrameHeader GradientHeader(FrameHeader header, int length)
    {
        if (length != _parameterCount)
            throw new ArgumentException($"Expected a gradient of {_parameterCount} elements, got {length}.", "gradient");
        ObjectDisposedException.ThrowIf(_disposed, this);
        return header with { Kind = FrameKind.Gradient, JobId = _jobId, WorkerId = WorkerId };
    }

    /// <summary>
    /// Sends a frame of peer reduction to the coordinator (Done, ShardSum, Invalid or PeerFailed, as <paramref name="header"/>
    /// says); job and worker id are set here. The same rules as <see cref="SendGradientAsync"/> hold for the task and the buffer.
    /// </summary>
    public ValueTask SendToCoordinatorAsync(FrameHeader header, ReadOnlyMemory<float> payload)
    {
        if (!FrameCodec.IsPeerReport(header.Kind))
            throw new ArgumentException($"A worker does not send {header.Kind} frames this way.", nameof(header));
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _channel.SendAsync(header with { JobId = _jobId, WorkerId = WorkerId }, payload, CancellationToken.None);
    }

    /// <summary>Sends a gradient computed into shared slot <paramref name="slot"/> (see <see cref="GradientSlot"/>); the header as for <see cref="SendGradientAsync"/>.</summary>
    public ValueTask SendSharedGradientAsync(FrameHeader header, int slot, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, SharedSlots);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var shared = header with { Kind = FrameKind.Gradient, JobId = _jobId, WorkerId = WorkerId, SharedSlot = (byte)(FrameHeader.SharedSlotBase + slot) };
        return _channel.SendAsync(shared, ReadOnlyMemory<float>.Empty, cancellationToken);
    }

    /// <summary>Shared gradient slot <paramref name="slot"/>, to compute into; it must not be written again until its gradient has been sent and the coordinator has handed out another block.</summary>
    public Span<float> GradientSlot(int slot) =>
        _shared is { } shared ? shared.Slot(slot) : throw new InvalidOperationException("This connection shares no memory with the coordinator.");

    /// <summary>Hands parameters received through onParameters back: pooled buffers go back to the pool; the shared region needs nothing.</summary>
    public void ReturnParameters(ReadOnlyMemory<float> parameters)
    {
        if (!MemoryMarshal.TryGetArray(parameters, out var segment))
            return;
        if (segment.Array!.Length != _parameterCount)
            throw new ArgumentException($"Expected a buffer of {_parameterCount} elements, got {segment.Array.Length}.", nameof(parameters));
        lock (_pool)
            _pool.Push(segment.Array);
    }

    /// <summary>
    /// Says Bye and closes the connection; unless called from a callback, it waits for the read thread to leave the
    /// callbacks first, since they may still be reading parameters from or writing a gradient into the shared file.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            _channel.TrySend(new FrameHeader { Kind = FrameKind.Bye, JobId = _jobId, WorkerId = WorkerId });
            _channel.Dispose();
            if (_reader is { } reader && reader != Thread.CurrentThread)
                reader.Join();
            _shared?.Dispose();
            _jobParameters?.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>A buffer of the parameter count from the client's pool, given back with <see cref="ReturnParameters"/>.</summary>
    public float[] RentParameters()
    {
        lock (_pool)
        {
            if (_pool.TryPop(out var buffer))
                return buffer;
        }
        return new float[_parameterCount];
    }

    private void ReadAssignment(in FrameHeader header)
    {
        if (header.ElementCount > MaxAssignedRows)
            throw new FrameException($"An assignment of {header.ElementCount} rows from the coordinator; at most {MaxAssignedRows} are accepted.");
        var rows = new int[header.ElementCount];
        _channel.ReadPayload(header, MemoryMarshal.Cast<int, float>(rows.AsSpan()));
        _onAssignment(header, rows);
    }

    private void ReadParameters()
    {
        Exception? error = null;
        try
        {
            FrameHeader header;
            (int, FrameChannel)? relay = null;
            var planned = false;
            while (_channel.TryReadHeader(out header) && header.Kind != FrameKind.Bye)
            {
                if (header.JobId != _jobId)
                    throw new FrameException($"Wrong job in a {header.Kind} frame from the coordinator.");
                if (header.Kind == FrameKind.Assign)
                {
                    ReadAssignment(header);
                    continue;
                }

                if (header.Kind == FrameKind.Plan && _peers is { } peers)
                {
                    relay = peers.ReadPlan(_channel, header, out planned);
                    continue;
                }

                if (header.Kind == FrameKind.ParameterChunk && _peers is { } streamed)
                {
                    streamed.ReadParameterChunk(_channel, header, spread: true);
                    continue;
                }

                if (header.Kind == FrameKind.Parameters && planned)
                {
                    _peers!.ReadParameters(_channel, header, relay);
                    relay = null;
                    planned = false;
                    continue;
                }

                if (header.Kind != FrameKind.Parameters)
                    throw new FrameException($"Unexpected {header.Kind} frame from the coordinator.");
                if (header.SharedSlot == FrameHeader.SharedJobParameters && _jobParameters is { } jobParameters && header.ElementCount == 0)
                {
                    _onParameters(header.ParameterVersion, jobParameters.Parameters);
                    continue;
                }

                if (header.SharedSlot == FrameHeader.SharedParameters && _shared is { } shared && header.ElementCount == 0)
                {
                    _onParameters(header.ParameterVersion, shared.Parameters);
                    continue;
                }

                if (header.ElementCount != _parameterCount)
                    throw new FrameException($"Parameters of {header.ElementCount} elements from the coordinator; the model has {_parameterCount}.");
                var parameters = RentParameters();
                try
                {
                    _channel.ReadPayload(header, parameters);
                }
                catch
                {
                    ReturnParameters(parameters);
                    throw;
                }
                _onParameters(header.ParameterVersion, parameters);
            }
            if (header.Kind != FrameKind.Bye)
                error = new IOException("The coordinator closed the data-plane connection without Bye.");
        }
        catch (Exception e)
        {
            error = e;
        }
        _channel.Dispose();
        _onClosed(_disposed ? null : error);
    }
}
