using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using SegaLearn.Training;

namespace SegaLearn.Protocol;

/// <summary>
/// A remote worker's connections to the other workers of its job, for peer reduction (see <see cref="StepPlan"/>): a
/// listener for connections from peers and one outgoing connection to each peer it sends to. Each direction between two
/// workers is its own connection, written by one side and read by the other, so no connection carries both a relay and
/// pieces in the same direction at once. Peers authenticate as workers do with the coordinator: a Hello carrying the
/// HMAC of the job token over the job and the sender's worker id.
/// <para>
/// Relay: a Plan frame, and the Parameters frame after it on the same connection, are forwarded to the plan's next
/// member chunk by chunk while they are read, so the coordinator sends each version once and the
/// last member has it one chunk's time after the first. A version streamed during the step before (ParameterChunk
/// frames) comes from the coordinator to the owner of each shard, which forwards it to the other members.
/// </para>
/// </summary>
public sealed class PeerMesh : IDisposable
{
    /// <summary>Elements per relayed chunk: 256 KiB, a few hundred microseconds on a 1 Gbit/s link.</summary>
    public const int RelayChunkElements = 64 * 1024;

    private const int HandshakeTimeoutMilliseconds = 10_000;

    private readonly Guid _jobId;
    private readonly string _token;
    private readonly int _selfId;
    private readonly int _parameterCount;
    private readonly PeerMeshCallbacks _callbacks;
    private readonly ClusterCertificate? _tls;
    private readonly WireFormat _wire;
    private readonly Socket _listener;
    private readonly ConcurrentDictionary<int, FrameChannel> _outgoing = new();
    private readonly ConcurrentDictionary<FrameChannel, int> _incoming = new();
    private readonly Lock _connectGate = new();
    private readonly Lock _assemblyGate = new();
    private volatile StepPlan? _lastPlan;
    private float[]? _assembly;
    private long _assemblyVersion = -1;
    private int _assembled;
    private long _wholeVersion = -1;
    private volatile bool _disposed;

    /// <summary>Listens for peers on <paramref name="port"/> (0: any); with <paramref name="tls"/> connections between peers are TLS with that certificate on both sides, as with the coordinator.</summary>
    public PeerMesh(
        string jobId, string token, int selfId, int parameterCount, IPAddress bind, int port, PeerMeshCallbacks callbacks, ClusterCertificate? tls = null, WireFormat wire = WireFormat.Float32)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentNullException.ThrowIfNull(callbacks);
        _jobId = FrameCodec.JobIdOf(jobId);
        _token = token;
        _selfId = selfId;
        _parameterCount = parameterCount;
        _callbacks = callbacks;
        _tls = tls;
        _wire = wire;
        _listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (bind.Equals(IPAddress.IPv6Any))
                _listener.DualMode = true;
            _listener.Bind(new IPEndPoint(bind, port));
            _listener.Listen();
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        new Thread(() => Handshake.AcceptConnections(_listener, () => _disposed, Serve, "segalearn-peer-in")) { IsBackground = true, Name = "segalearn-peer-accept" }.Start();
    }

    /// <summary>The port peers connect to.</summary>
    public int Port { get; }

    /// <summary>
    /// Handles a Plan frame read from <paramref name="source"/> (the coordinator's connection or a peer's): reads it,
    /// forwards it to the plan's next member when the parameters follow it (a plan alone comes to every member from the
    /// coordinator) and hands it to <see cref="PeerMeshCallbacks.OnPlan"/>. Returns the
    /// successor's channel, to which the Parameters frame that follows is forwarded, or null when this is the last member
    /// or the successor cannot be reached (reported through <see cref="PeerMeshCallbacks.OnPeerLost"/>).
    /// </summary>
    internal (int PeerId, FrameChannel Channel)? ReadPlan(FrameChannel source, in FrameHeader header, out bool parametersFollow)
    {
        if (header.ElementCount is <= 0 or > 1 << 20)
            throw new FrameException($"A Plan frame of {header.ElementCount} elements.");
        var payload = new float[header.ElementCount];
        source.ReadPayload(header, payload);
        var plan = StepPlan.FromFrame(header, payload);
        (int, FrameChannel)? next = null;
        if (plan.ParametersFollow && plan.Successor(_selfId) is { } successor && Connect(successor) is { } channel)
        {
            var sent = channel.SendAsync(plan.Header() with { JobId = _jobId, WorkerId = _selfId }, payload, CancellationToken.None);
            try
            {
                sent.AsTask().GetAwaiter().GetResult();
                next = (successor.WorkerId, channel);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Lost(successor.WorkerId, $"relaying the plan failed: {e.Message}");
            }
        }
        _lastPlan = plan;
        parametersFollow = plan.ParametersFollow;
        _callbacks.OnPlan(plan);
        return next;
    }

    /// <summary>Reads a Parameters frame from <paramref name="source"/>, forwarding it to <paramref name="next"/> (see <see cref="ReadPlan"/>) while it arrives.</summary>
    internal void ReadParameters(FrameChannel source, in FrameHeader header, (int PeerId, FrameChannel Channel)? next)
    {
        if (header.ElementCount != _parameterCount)
            throw new FrameException($"Parameters of {header.ElementCount} elements; the model has {_parameterCount}.");
        var parameters = _callbacks.RentParameters();
        ReadForwarding(source, header, parameters, next is { } relay ? [relay] : [], header with { WorkerId = _selfId, SharedSlot = 0 }, "parameters");
        lock (_assemblyGate)
        {
            _wholeVersion = Math.Max(_wholeVersion, header.ParameterVersion);
            if (_assembly is { } partial && _assemblyVersion <= header.ParameterVersion)
            {
                _assembly = null;
                _callbacks.ReturnParameters(partial);
            }
        }
        _callbacks.OnParameters(header.ParameterVersion, parameters);
    }

    /// <summary>
    /// Reads a ParameterChunk frame into the assembly of its version; hands the version on once every element came.
    /// A chunk from the coordinator (<paramref name="spread"/>) is of this worker's own shard, and is forwarded to every
    /// other member of the last plan while it arrives, so each member's link carries its shard out once. Chunks of a
    /// version older than one received whole or assembled are read and dropped.
    /// </summary>
    internal void ReadParameterChunk(FrameChannel source, in FrameHeader header, bool spread)
    {
        if (header.ElementOffset < 0 || header.ElementCount <= 0 || (long)header.ElementOffset + header.ElementCount > _parameterCount)
            throw new FrameException($"A parameter chunk at {header.ElementOffset} of {header.ElementCount} elements; the model has {_parameterCount}.");
        float[]? target = null;
        lock (_assemblyGate)
        {
            if (header.ParameterVersion > _wholeVersion && header.ParameterVersion >= _assemblyVersion)
            {
                if (_assembly is null || _assemblyVersion != header.ParameterVersion)
                {
                    if (_assembly is { } older)
                        _callbacks.ReturnParameters(older);
                    _assembly = _callbacks.RentParameters();
                    _assemblyVersion = header.ParameterVersion;
                    _assembled = 0;
                }

                target = _assembly;
            }
        }

        if (target is null)
        {
            Drop(source, header);
            return;
        }

        var targets = new List<(int PeerId, FrameChannel Channel)>();
        if (spread && _lastPlan is { } plan)
        {
            foreach (var peer in plan.Members)
            {
                if (peer.WorkerId != _selfId && Connect(peer) is { } channel)
                    targets.Add((peer.WorkerId, channel));
            }
        }

        ReadForwarding(source, header, target.AsSpan(header.ElementOffset), targets, header with { WorkerId = _selfId }, "a parameter chunk");
        lock (_assemblyGate)
        {
            if (!ReferenceEquals(target, _assembly))
                return;
            _assembled += header.ElementCount;
            if (_assembled < _parameterCount)
                return;
            _assembly = null;
            _wholeVersion = _assemblyVersion;
        }
        _callbacks.OnParameters(header.ParameterVersion, target);
    }

    /// <summary>Reads a payload while forwarding it to <paramref name="targets"/>; a target that fails is reported lost.</summary>
    private void ReadForwarding(
        FrameChannel source, in FrameHeader header, Span<float> destination, IReadOnlyList<(int PeerId, FrameChannel Channel)> targets, in FrameHeader forwardHeader, string what)
    {
        var sent = source.ReadPayloadForwarding(header, destination, targets.Select(t => t.Channel).ToArray(), forwardHeader, RelayChunkElements);
        for (var i = 0; i < sent.Length; i++)
        {
            if (!sent[i])
                Lost(targets[i].PeerId, $"relaying {what} failed");
        }
    }

    /// <summary>Reads and checks a payload nobody waits for (a stale chunk or piece), so the frames after it can be read.</summary>
    private static void Drop(FrameChannel source, in FrameHeader header) => source.ReadPayload(header, new float[header.ElementCount]);

    /// <summary>
    /// Sends <paramref name="header"/> and <paramref name="payload"/> to peer <paramref name="peer"/>, connecting first if
    /// needed; the same rules as <see cref="DataPlaneClient.SendGradientAsync"/> hold for the task and the buffer. A
    /// failure is reported through <see cref="PeerMeshCallbacks.OnPeerLost"/> and completes the task without throwing.
    /// </summary>
    public async ValueTask SendAsync(PeerEndpoint peer, FrameHeader header, ReadOnlyMemory<float> payload)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (Connect(peer) is not { } channel)
            return;
        try
        {
            await channel.SendAsync(header with { JobId = _jobId, WorkerId = _selfId }, payload, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Lost(peer.WorkerId, $"sending to it failed: {e.Message}");
        }
    }

    /// <summary>The open outgoing connection to <paramref name="peer"/>, made now if there is none; null (and reported) when it cannot be made.</summary>
    private FrameChannel? Connect(PeerEndpoint peer)
    {
        if (_outgoing.TryGetValue(peer.WorkerId, out var open) && open.IsOpen)
            return open;
        lock (_connectGate)
        {
            if (_outgoing.TryGetValue(peer.WorkerId, out open) && open.IsOpen)
                return open;
            if (_disposed)
                return null;
            var socket = new Socket(peer.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Connect(peer.EndPoint);
                socket.ReceiveTimeout = HandshakeTimeoutMilliseconds;
                var channel = new FrameChannel(socket, _tls) { TensorFormat = _wire };
                Handshake.SendHello(channel, _token, _jobId, _selfId, default);
                if (!channel.TryReadHeader(out var reply) || reply.Kind != FrameKind.HelloAck)
                {
                    channel.Dispose();
                    Lost(peer.WorkerId, "it refused this worker's Hello");
                    return null;
                }
                socket.ReceiveTimeout = 0;
                channel.Open("segalearn-peer-out");
                _outgoing[peer.WorkerId] = channel;
                return channel;
            }
            catch (Exception e) when (e is IOException or SocketException or FrameException or AuthenticationException)
            {
                socket.Dispose();
                Lost(peer.WorkerId, $"cannot connect to {peer.EndPoint}: {e.Message}");
                return null;
            }
        }
    }

    private void Lost(int peerId, string why)
    {
        if (_outgoing.TryRemove(peerId, out var channel))
            channel.Dispose();
        if (!_disposed)
            _callbacks.OnPeerLost(peerId, why);
    }

    private void Serve(Socket socket)
    {
        FrameChannel? channel = null;
        int peer;
        try
        {
            socket.ReceiveTimeout = HandshakeTimeoutMilliseconds;
            channel = new FrameChannel(socket, _tls, asServer: true) { TensorFormat = _wire };
            if (!channel.TryReadHeader(out var hello) || hello.Kind != FrameKind.Hello)
            {
                channel.Dispose();
                return;
            }
            if (Handshake.ReadHello(channel, hello, _token, _jobId) != Handshake.HelloCheck.Valid)
            {
                channel.TrySend(new FrameHeader { Kind = FrameKind.Refused, JobId = _jobId });
                channel.Dispose();
                return;
            }
            peer = hello.WorkerId;
            channel.Send(new FrameHeader { Kind = FrameKind.HelloAck, JobId = _jobId, WorkerId = _selfId }, []);
            socket.ReceiveTimeout = 0;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or FrameException or AuthenticationException)
        {
            if (channel is null)
                socket.Dispose();
            else
                channel.Dispose();
            return;
        }

        _incoming[channel] = peer;
        if (_disposed)
        {
            channel.Dispose();
            return;
        }
        Read(peer, channel);
    }

    private void Read(int peer, FrameChannel channel)
    {
        string? fault = null;
        try
        {
            (int, FrameChannel)? next = null;
            while (channel.TryReadHeader(out var header) && header.Kind != FrameKind.Bye)
            {
                if (header.JobId != _jobId || header.WorkerId != peer)
                    throw new FrameException($"Wrong job or sender in a {header.Kind} frame from peer {peer}.");
                switch (header.Kind)
                {
                    case FrameKind.Plan:
                        next = ReadPlan(channel, header, out _);
                        break;
                    case FrameKind.ParameterChunk:
                        ReadParameterChunk(channel, header, spread: false);
                        break;
                    case FrameKind.Parameters:
                        ReadParameters(channel, header, next);
                        next = null;
                        break;
                    case FrameKind.Piece:
                        ReadPiece(peer, channel, header);
                        break;
                    default:
                        throw new FrameException($"Unexpected {header.Kind} frame from peer {peer}.");
                }
            }
        }
        catch (FrameException e)
        {
            fault = e.Message;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The peer closed or died; whoever needs it learns when its own sends fail, and the coordinator from the cluster.
        }
        _incoming.TryRemove(channel, out _);
        channel.Dispose();
        if (fault is not null && !_disposed)
            _callbacks.OnPeerLost(peer, fault);
    }

    private void ReadPiece(int peer, FrameChannel channel, in FrameHeader header)
    {
        if (header.ElementOffset < 0 || header.ElementCount < 0 || (long)header.ElementOffset + header.ElementCount > _parameterCount)
            throw new FrameException($"A piece at {header.ElementOffset} of {header.ElementCount} elements from peer {peer}; the model has {_parameterCount}.");
        var buffer = _callbacks.RentPiece(header);
        if (buffer is null)
        {
            Drop(channel, header);
            return;
        }
        channel.ReadPayload(header, buffer);
        _callbacks.OnPiece(peer, header, buffer);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _listener.Dispose();
        foreach (var (_, channel) in _outgoing)
        {
            channel.TrySend(new FrameHeader { Kind = FrameKind.Bye, JobId = _jobId, WorkerId = _selfId });
            channel.Dispose();
        }
        foreach (var (channel, _) in _incoming)
            channel.Dispose();
    }
}
