using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace SegaLearn.Protocol;

/// <summary>
/// One data-plane TCP connection with a reader and a writer thread of its own. All socket IO is synchronous: on Unix
/// a socket that has seen one async operation turns non-blocking for good and every later synchronous call allocates,
/// so blocking calls on dedicated threads are what keeps a step free of allocation. Reads go straight into the
/// caller's buffers; writes go straight from the caller's buffer, one frame at a time per connection.
/// <para>
/// <see cref="SendAsync"/> hands the frame to the writer thread and returns a task backed by this object (reused for
/// every send, so it must be awaited exactly once, as any <see cref="ValueTask"/>); the next send may start once the
/// previous one's result has been observed. Continuations run on the writer thread unless the awaiter captured a context.
/// </para>
/// </summary>
internal sealed class FrameChannel : IValueTaskSource, IDisposable
{
    private const int InlinePayloadElements = 16 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _network;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SemaphoreSlim _writerWork = new(0);
    private readonly Lock _gate = new();
    private readonly byte[] _writeHeader = new byte[FrameCodec.HeaderSize];
    private readonly byte[] _readHeader = new byte[FrameCodec.HeaderSize];
    private readonly System.IO.Hashing.XxHash3 _readHash = new();
    private readonly byte[] _inlineFrame = new byte[FrameCodec.FrameSize(InlinePayloadElements)];
    private ManualResetValueTaskSourceCore<bool> _completion;
    private FrameHeader _pendingHeader;
    private ReadOnlyMemory<float> _pendingPayload;
    private byte[]? _narrow;
    private bool _hasPending;
    private bool _closed;
    private volatile bool _open;

    /// <summary>
    /// Takes over <paramref name="socket"/> (closed when this is disposed, or at once when TLS fails). With
    /// <paramref name="tls"/>, every byte goes through TLS, both sides proving they hold that certificate; the handshake
    /// runs here, blocking, as the server side when <paramref name="asServer"/>.
    /// </summary>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed; the message says why.</exception>
    public FrameChannel(Socket socket, ClusterCertificate? tls = null, bool asServer = false)
    {
        socket.NoDelay = true;
        _socket = socket;
        RemoteEndPoint = socket.RemoteEndPoint;
        _network = new NetworkStream(socket, ownsSocket: true);
        _stream = tls is null ? _network : tls.Authenticate(_network, asServer);
    }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// The job's wire format, set once the job is known: tensor frames (<see cref="FrameCodec.CarriesTensor"/>) sent from
    /// then on are encoded in it. Reading follows each frame's own header.
    /// </summary>
    public Training.WireFormat TensorFormat { get; set; }

    private FrameHeader Stamp(in FrameHeader header, int elements) =>
        elements > 0 && TensorFormat != Training.WireFormat.Float32 && FrameCodec.CarriesTensor(header.Kind) ? header with { Format = TensorFormat } : header;

    /// <summary>Set by <see cref="Open"/> once the handshake is through; until then only handshake frames are sent.</summary>
    public bool IsOpen => _open;

    /// <summary>Starts the writer thread; <see cref="SendAsync"/> works from now on.</summary>
    public void Open(string threadName)
    {
        new Thread(WriteFrames) { IsBackground = true, Name = threadName }.Start();
        _open = true;
    }

    /// <summary>
    /// Sends a frame from <paramref name="payload"/>, which must stay unchanged until the task completes.
    /// <paramref name="cancellationToken"/> cancels waiting for an earlier send, not a write under way.
    /// </summary>
    public ValueTask SendAsync(FrameHeader header, ReadOnlyMemory<float> payload, CancellationToken cancellationToken)
    {
        header = Stamp(header, payload.Length);
        if (payload.Length <= InlinePayloadElements && _open && _sendLock.Wait(0))
        {
            return SendInline(header, payload.Span);
        }

        var turn = _sendLock.WaitAsync(cancellationToken);
        return turn.IsCompletedSuccessfully ? Enqueue(header, payload) : SendAfterAsync(turn, header, payload);
    }

    /// <summary>
    /// Sends two frames in this order, in one write when both are small and no send is under way; the same rules as
    /// <see cref="SendAsync"/> hold for the task and the payloads.
    /// </summary>
    public ValueTask SendPairAsync(FrameHeader first, ReadOnlyMemory<float> firstPayload, FrameHeader second, ReadOnlyMemory<float> secondPayload, CancellationToken cancellationToken)
    {
        first = Stamp(first, firstPayload.Length);
        second = Stamp(second, secondPayload.Length);
        if (FrameCodec.FrameSize(firstPayload.Length, first.Format) + (long)FrameCodec.FrameSize(secondPayload.Length, second.Format) <= _inlineFrame.Length
            && _open && _sendLock.Wait(0))
        {
            return SendInline(first, firstPayload.Span, second, secondPayload.Span);
        }

        return SendOneAfterTheOther(first, firstPayload, second, secondPayload, cancellationToken);
    }

    private async ValueTask SendOneAfterTheOther(FrameHeader first, ReadOnlyMemory<float> firstPayload, FrameHeader second, ReadOnlyMemory<float> secondPayload, CancellationToken cancellationToken)
    {
        await SendAsync(first, firstPayload, cancellationToken).ConfigureAwait(false);
        await SendAsync(second, secondPayload, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A small frame (an assignment, or a header whose tensor is in shared memory) is written on the calling thread
    /// when no send is under way: it fits the socket's buffer, and handing it to the writer thread would cost two
    /// thread wake-ups on a step's critical path. Header and payload go in one write, so the peer wakes once.
    /// </summary>
    private ValueTask SendInline(FrameHeader header, ReadOnlySpan<float> payload) => SendInline(header, payload, null, []);

    private ValueTask SendInline(FrameHeader header, ReadOnlySpan<float> payload, FrameHeader? next, ReadOnlySpan<float> nextPayload)
    {
        try
        {
            lock (_gate)
            {
                if (_closed)
                {
                    return ValueTask.FromException(new IOException("The data-plane connection is closed."));
                }
            }

            var length = FrameCodec.Encode(header, payload, _inlineFrame);
            if (next is { } second)
                length += FrameCodec.Encode(second, nextPayload, _inlineFrame.AsSpan(length));
            _stream.Write(_inlineFrame, 0, length);
            return ValueTask.CompletedTask;
        }
        catch (Exception e)
        {
            Dispose();
            return ValueTask.FromException(e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends a small frame on the calling thread, for the handshake.</summary>
    public void Send(FrameHeader header, ReadOnlySpan<float> payload)
    {
        _sendLock.Wait();
        try
        {
            FrameCodec.Write(_stream, Stamp(header, payload.Length), payload, _writeHeader, ref _narrow);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Sends a frame of any size on the calling thread once earlier sends are through. For a caller that would only wait
    /// for the writer thread (a worker's read thread with its gradient), this saves handing the frame over and waking
    /// back. A failed write closes the connection, as any send does, and throws.
    /// </summary>
    public void SendOnThisThread(FrameHeader header, ReadOnlySpan<float> payload)
    {
        _sendLock.Wait();
        try
        {
            lock (_gate)
            {
                if (_closed || !_open)
                    throw new IOException("The data-plane connection is closed.");
            }

            FrameCodec.Write(_stream, Stamp(header, payload.Length), payload, _writeHeader, ref _narrow);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Dispose();
            throw;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Best effort for a payload-less frame just before closing (Refused, Bye): skipped when a send is under way (then
    /// the close itself tells the peer), waiting at most a second for room.
    /// </summary>
    public void TrySend(FrameHeader header)
    {
        if (!_sendLock.Wait(0))
            return;
        try
        {
            _socket.SendTimeout = 1000;
            FrameCodec.Write(_stream, header, [], _writeHeader, ref _narrow);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The peer is gone already; closing is all that is left to do.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public bool TryReadHeader(out FrameHeader header) => FrameCodec.TryReadHeader(_stream, _readHeader, out header);

    public void ReadPayload(in FrameHeader header, Span<float> destination) => FrameCodec.ReadPayload(_stream, header, destination, _readHash);

    /// <summary>
    /// Reads the payload of <paramref name="header"/> into <paramref name="destination"/> as <see cref="ReadPayload"/> does,
    /// and writes the same frame (with <paramref name="forwardHeader"/>, whose checksum is the incoming one) to each of
    /// <paramref name="forwards"/> chunk by chunk as it arrives, so a relay adds one chunk's delay rather than a whole
    /// tensor's. Returns, per forward, whether forwarding succeeded (a failed one is closed); the payload is still read
    /// and checked. A bfloat16 payload is forwarded as it came and widened chunk by chunk in place.
    /// </summary>
    public bool[] ReadPayloadForwarding(in FrameHeader header, Span<float> destination, FrameChannel[] forwards, in FrameHeader forwardHeader, int chunkElements)
    {
        FrameCodec.EnsureFits(header, destination.Length);
        var ok = new bool[forwards.Length];
        var started = new bool[forwards.Length];
        try
        {
            for (var f = 0; f < forwards.Length; f++)
            {
                ok[f] = forwards[f].BeginForward(forwardHeader with { ElementCount = header.ElementCount, Checksum = header.Checksum, Format = header.Format });
                started[f] = true;
            }

            var hash = _readHash;
            hash.Reset();
            var narrow = header.Format == Training.WireFormat.BFloat16;
            for (var at = 0; at < header.ElementCount; at += chunkElements)
            {
                var elements = destination.Slice(at, Math.Min(chunkElements, header.ElementCount - at));
                var bytes = MemoryMarshal.AsBytes(elements);
                var chunk = narrow ? bytes[(bytes.Length / 2)..] : bytes;
                var read = _stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
                if (read < chunk.Length)
                    throw new FrameException($"Truncated frame: the stream ended inside the payload of a {header.Kind} frame.");
                hash.Append(chunk);
                for (var f = 0; f < forwards.Length; f++)
                    ok[f] = ok[f] && forwards[f].ForwardChunk(chunk);
                if (narrow)
                    Compute.BFloat16.Widen(MemoryMarshal.Cast<byte, ushort>(chunk), elements);
            }
            FrameCodec.VerifyChecksum(header, FrameCodec.ChecksumOf(hash));
        }
        finally
        {
            for (var f = 0; f < forwards.Length; f++)
            {
                if (started[f])
                    forwards[f].EndForward();
            }
        }
        return ok;
    }

    private bool BeginForward(in FrameHeader header)
    {
        _sendLock.Wait();
        try
        {
            if (_closed || !_open)
                return false;
            FrameCodec.WriteHeader(header, _writeHeader);
            _stream.Write(_writeHeader);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Dispose();
            return false;
        }
    }

    private bool ForwardChunk(ReadOnlySpan<byte> chunk)
    {
        try
        {
            _stream.Write(chunk);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Dispose();
            return false;
        }
    }

    private void EndForward() => _sendLock.Release();

    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed)
                return;
            _closed = true;
        }
        // The socket first: that ends a read blocked on another thread at once, whatever the stream over it does.
        _network.Dispose();
        _stream.Dispose();
        _writerWork.Release();
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _completion.GetResult(token);
        }
        finally
        {
            // Only now may the next send reset the completion.
            _sendLock.Release();
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    private async ValueTask SendAfterAsync(Task turn, FrameHeader header, ReadOnlyMemory<float> payload)
    {
        await turn.ConfigureAwait(false);
        await Enqueue(header, payload).ConfigureAwait(false);
    }

    private ValueTask Enqueue(FrameHeader header, ReadOnlyMemory<float> payload)
    {
        lock (_gate)
        {
            if (_closed || !_open)
            {
                _sendLock.Release();
                return ValueTask.FromException(new IOException("The data-plane connection is closed."));
            }
            _completion.Reset();
            _pendingHeader = header;
            _pendingPayload = payload;
            _hasPending = true;
        }
        _writerWork.Release();
        return new ValueTask(this, _completion.Version);
    }

    private void WriteFrames()
    {
        while (true)
        {
            _writerWork.Wait();
            bool hasPending, closed;
            lock (_gate)
            {
                hasPending = _hasPending;
                closed = _closed;
                _hasPending = false;
            }
            if (!hasPending)
            {
                if (closed)
                    return;
                continue;
            }
            Exception? error = null;
            try
            {
                FrameCodec.Write(_stream, _pendingHeader, _pendingPayload.Span, _writeHeader, ref _narrow);
            }
            catch (Exception e)
            {
                // A frame cut off mid-way leaves the stream unusable; the reader sees the close and reports it.
                error = e;
                Dispose();
            }
            _pendingPayload = default;
            if (error is null)
                _completion.SetResult(true);
            else
                _completion.SetException(error);
        }
    }
}
