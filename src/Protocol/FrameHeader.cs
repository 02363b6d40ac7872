namespace SegaLearn.Protocol;

/// <summary>
/// The fixed-size header of a data-plane frame. <see cref="ElementCount"/> (elements of payload, 4 or 2 bytes each as
/// <see cref="Format"/> says: the frame's length prefix) and <see cref="Checksum"/> (<see cref="FrameCodec.ChecksumOf(ReadOnlySpan{byte})"/> of the payload bytes) are filled in by <see cref="FrameCodec"/>
/// when it writes; fields that a kind does not use are 0.
/// </summary>
public readonly record struct FrameHeader
{
    public const byte SharedParameters = 1;

    public const byte SharedSlotBase = 2;

    /// <summary>Parameters in the job's <see cref="SharedParameterFile"/>, which the worker said in its Hello it maps.</summary>
    public const byte SharedJobParameters = 255;

    /// <summary>Added to a Hello's <see cref="SharedSlot"/> (the gradient slots offered) when the worker maps the job's parameter file.</summary>
    public const byte MapsJobParameters = 0x80;

    public FrameKind Kind { get; init; }

    /// <summary>
    /// 0: the payload follows the header. Otherwise the payload is in the worker's <see cref="SharedTensorFile"/>
    /// (<see cref="ElementCount"/> 0): <see cref="SharedParameters"/> for parameters, <see cref="SharedSlotBase"/> + k for
    /// gradient slot k, <see cref="SharedJobParameters"/> for parameters in the job's parameter file. In a Hello, the
    /// worker offers such a file with that many gradient slots (below <see cref="MapsJobParameters"/>, which it adds when
    /// it maps the job's parameter file); in a HelloAck, the coordinator accepts the worker's file.
    /// </summary>
    public byte SharedSlot { get; init; }

    /// <summary><see cref="FrameCodec.JobIdOf"/> of the job id string.</summary>
    public Guid JobId { get; init; }

    public int WorkerId { get; init; }

    public long ParameterVersion { get; init; }

    public int Epoch { get; init; }

    public int Step { get; init; }

    public int FirstMicrobatch { get; init; }

    public int MicrobatchCount { get; init; }

    public int SampleCount { get; init; }

    public double LossSum { get; init; }

    public int ElementCount { get; init; }

    public uint Checksum { get; init; }

    /// <summary>Batch position of the block's first sample (Assign frames), which keys the dropout masks.</summary>
    public int FirstSample { get; init; }

    /// <summary>How long the worker computed the block (Gradient and Done frames), for the coordinator's per-step metrics.</summary>
    public int ComputeMicroseconds { get; init; }

    /// <summary>
    /// Which attempt at the step a frame of peer reduction belongs to (Plan, Assign, Piece, Done, ShardSum): the coordinator
    /// starts the step over with a higher attempt when a member is lost, and everyone drops frames of an older one. 0 for
    /// star assignments, whose gradient goes straight to the coordinator.
    /// </summary>
    public int Attempt { get; init; }

    /// <summary>Where a Piece or ShardSum payload starts in the flat parameter vector.</summary>
    public int ElementOffset { get; init; }

    /// <summary>Invalid: the worker whose piece was not finite; PeerFailed: the peer that could not be reached.</summary>
    public int PeerId { get; init; }

    /// <summary>Hello: the port of the worker's peer listener (0: it takes no part in peer reduction).</summary>
    public int PeerPort { get; init; }

    /// <summary>
    /// How the payload's elements are encoded: float32 (4 bytes each) or, for a tensor of a bfloat16 job
    /// (<see cref="FrameCodec.CarriesTensor"/>), bfloat16 (2 bytes each, widened back to float32 exactly on reading).
    /// </summary>
    public Training.WireFormat Format { get; init; }
}
