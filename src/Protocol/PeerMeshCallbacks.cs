namespace SegaLearn.Protocol;

/// <summary>What a <see cref="PeerMesh"/> hands to its worker; all are called on the mesh's read threads.</summary>
public sealed class PeerMeshCallbacks
{
    /// <summary>A step plan, relayed by the previous member (or sent by the coordinator to the first).</summary>
    public required Action<StepPlan> OnPlan { get; init; }

    /// <summary>A buffer of the parameter count to receive a relayed parameter version into.</summary>
    public required Func<float[]> RentParameters { get; init; }

    /// <summary>Gives back a buffer from <see cref="RentParameters"/> that was not handed on (an assembly overtaken by a whole version).</summary>
    public required Action<float[]> ReturnParameters { get; init; }

    /// <summary>Parameters of a version, received (and forwarded) in a buffer from <see cref="RentParameters"/>.</summary>
    public required Action<long, float[]> OnParameters { get; init; }

    /// <summary>A buffer of at least the piece's element count, or null to read and drop a piece nobody waits for.</summary>
    public required Func<FrameHeader, float[]?> RentPiece { get; init; }

    /// <summary>A piece from a peer (its id, the header, the buffer from <see cref="RentPiece"/>).</summary>
    public required Action<int, FrameHeader, float[]> OnPiece { get; init; }

    /// <summary>A peer's connection failed or was refused (its id, why); the coordinator decides what follows.</summary>
    public required Action<int, string> OnPeerLost { get; init; }
}
