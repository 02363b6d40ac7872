using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace SegaLearn.Protocol;

/// <summary>
/// One data-plane TCP connection: sends are serialized and go through one preallocated frame buffer; reads are
/// synchronous on the connection's own thread straight into the caller's buffers, so a step allocates nothing.
/// </summary>
internal sealed class FrameChannel : IDisposable
{
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly byte[] _sendBuffer;
    private readonly byte[] _readHeader = new byte[FrameCodec.HeaderSize];

    public FrameChannel(Socket socket, int maxElements)
    {
        socket.NoDelay = true;
        Socket = socket;
        RemoteEndPoint = socket.RemoteEndPoint;
        _stream = new NetworkStream(socket, ownsSocket: true);
        // The Hello's proof must fit even for a model smaller than it.
        _sendBuffer = new byte[FrameCodec.FrameSize(Math.Max(maxElements, JobToken.ProofLength / sizeof(float)))];
    }

    public Socket Socket { get; }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>Set once the handshake is through; until then only handshake frames may be sent.</summary>
    public volatile bool Accepted;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(FrameHeader header, ReadOnlyMemory<float> payload, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var length = FrameCodec.Encode(header, payload.Span, _sendBuffer);
            await _stream.WriteAsync(_sendBuffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A frame cut off mid-way leaves the stream unusable; the reader sees the close and reports it.
            Dispose();
            throw;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends a small frame synchronously, for handshake and close on the connection's own thread.</summary>
    public void Send(FrameHeader header, ReadOnlySpan<float> payload)
    {
        _sendLock.Wait();
        try
        {
            var length = FrameCodec.Encode(header, payload, _sendBuffer);
            _stream.Write(_sendBuffer, 0, length);
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
            Socket.SendTimeout = 1000;
            var length = FrameCodec.Encode(header, [], _sendBuffer);
            _stream.Write(_sendBuffer, 0, length);
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

    public void ReadPayload(in FrameHeader header, Span<float> destination) => FrameCodec.ReadPayload(_stream, header, destination);

    public async ValueTask<FrameHeader> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        await _stream.ReadExactlyAsync(_readHeader, cancellationToken).ConfigureAwait(false);
        return FrameCodec.ReadHeader(_readHeader);
    }

    public void Dispose() => _stream.Dispose();
}
