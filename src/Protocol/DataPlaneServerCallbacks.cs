using System.Net;

namespace SegaLearn.Protocol;

/// <summary>
/// What a <see cref="DataPlaneServer"/> reports. All are called on the connection's own read thread, one at a time per
/// worker; they should hand work off quickly (e.g. Tell an actor), since the connection reads nothing meanwhile.
/// When <see cref="RentGradientBuffer"/>, <see cref="OnGradient"/> or <see cref="OnConnected"/> throws, the connection is
/// dropped and that reported through <see cref="OnInvalidFrame"/> and <see cref="OnDisconnected"/>; the other callbacks
/// must not throw (they run where nothing could report it).
/// </summary>
public sealed class DataPlaneServerCallbacks
{
    /// <summary>A buffer of at least the parameter count for the next gradient; the server takes it only once a gradient header has checked out.</summary>
    public required Func<float[]> RentGradientBuffer { get; init; }

    /// <summary>
    /// A gradient arrived, checksum verified, in the first <see cref="FrameHeader.ElementCount"/> elements of a buffer
    /// from <see cref="RentGradientBuffer"/>. The buffer now belongs to the callee, who returns it to its pool when done.
    /// </summary>
    public required Action<int, FrameHeader, float[]> OnGradient { get; init; }

    /// <summary>
    /// A gradient arrived in the worker's shared memory (its header says which slot). When set, the server leaves it
    /// there and the callee reads it in place through <see cref="DataPlaneServer.PinGradient"/>, copying it out before it
    /// hands that worker another block; when not set, the server copies it into a rented buffer for <see cref="OnGradient"/>.
    /// </summary>
    public Action<int, FrameHeader>? OnSharedGradient { get; init; }

    /// <summary>A rented buffer that was not delivered (its frame was invalid or the connection ended mid-frame).</summary>
    public Action<float[]>? ReturnGradientBuffer { get; init; }

    /// <summary>A worker passed the handshake; <see cref="DataPlaneServer.SendParametersAsync"/> may now address it.</summary>
    public Action<int>? OnConnected { get; init; }

    /// <summary>A connection was refused before or during the handshake: remote end point and reason.</summary>
    public Action<EndPoint?, string>? OnRefused { get; init; }

    /// <summary>A worker's connection was dropped because of the reason given (an invalid frame or a throwing callback); <see cref="OnDisconnected"/> follows.</summary>
    public Action<int, string>? OnInvalidFrame { get; init; }

    /// <summary>A worker's connection is gone, whatever the reason; not called once the server is disposed.</summary>
    public Action<int>? OnDisconnected { get; init; }

    /// <summary>
    /// A frame of peer reduction from a worker (Done, ShardSum, Invalid, PeerFailed): the worker id, the header and, for
    /// a ShardSum, its payload in a buffer from <see cref="RentGradientBuffer"/> (its first ElementCount elements), else null.
    /// </summary>
    public Action<int, FrameHeader, float[]?>? OnPeerFrame { get; init; }
}
