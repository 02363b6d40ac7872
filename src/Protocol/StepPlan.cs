using System.Net;
using System.Runtime.InteropServices;
using SegaLearn.Training;

namespace SegaLearn.Protocol;

/// <summary>
/// One attempt at a step under peer reduction. <see cref="Members"/> are the workers in relay order: the coordinator
/// sends the parameters to the first, each forwards them to the next. Member i owns shard i of the flat parameter vector
/// (<see cref="ShardOf"/>): every worker sends it that shard of each block gradient it computes, and the owner adds the
/// shards of all <see cref="Blocks"/> in the reduction tree's order and sends the sum to the coordinator. Addition is
/// element by element, so a shard of the tree sum has the same bits as the same slice of the whole tree sum.
/// </summary>
/// <para>
/// <see cref="ParametersFollow"/>: whether the Parameters frame of the version follows the plan. It does not when the
/// members already have the version, streamed to them in ParameterChunk frames during the step before.
/// </para>
public sealed record StepPlan(
    long ParameterVersion, int Epoch, int Step, int Attempt, IReadOnlyList<PeerEndpoint> Members, IReadOnlyList<(int FirstMicrobatch, int MicrobatchCount)> Blocks, bool ParametersFollow = true)
{
    /// <summary>Shard boundaries fall on multiples of this many elements (a cache line), so no two owners write one line.</summary>
    public const int ShardAlignment = 16;

    /// <summary>
    /// Bytes per part of a shard on the wire: pieces, sums and streamed parameters travel in parts of this size (a quarter
    /// of a millisecond on a 1 Gbit/s link), so every stage works on the first part while the next ones are on the wire.
    /// Smaller parts shorten each stage's start; every part costs each thread on its way a wake-up, which on a busy
    /// machine can cost more than the bytes. So a part is a size in bytes: 8192 float32 or 16384 bfloat16 elements.
    /// </summary>
    public const int PartBytes = 32 * 1024;

    /// <summary>Elements per part (<see cref="PartBytes"/>) in <paramref name="format"/>.</summary>
    public static int PartElements(WireFormat format) => PartBytes / FrameCodec.ElementSize(format);

    private const int IntsPerMember = 6;

    /// <summary>Index of the member with <paramref name="workerId"/>, or -1.</summary>
    public int IndexOf(int workerId)
    {
        for (var i = 0; i < Members.Count; i++)
        {
            if (Members[i].WorkerId == workerId)
                return i;
        }
        return -1;
    }

    /// <summary>The member after <paramref name="workerId"/> in relay order, or null for the last one.</summary>
    public PeerEndpoint? Successor(int workerId)
    {
        var index = IndexOf(workerId);
        return index >= 0 && index + 1 < Members.Count ? Members[index + 1] : null;
    }

    /// <summary>Index of the block starting at <paramref name="firstMicrobatch"/>, or -1.</summary>
    public int BlockIndexOf(int firstMicrobatch)
    {
        for (var i = 0; i < Blocks.Count; i++)
        {
            if (Blocks[i].FirstMicrobatch == firstMicrobatch)
                return i;
        }
        return -1;
    }

    /// <summary>Shard <paramref name="index"/> of <paramref name="shards"/> over <paramref name="parameterCount"/> elements: contiguous, aligned, in order.</summary>
    public static (int Offset, int Length) ShardOf(int index, int shards, int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shards);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, shards);
        int Boundary(int i) => i == shards ? parameterCount : (int)((long)parameterCount * i / shards / ShardAlignment * ShardAlignment);
        var start = Boundary(index);
        return (start, Boundary(index + 1) - start);
    }

    /// <summary>The parts of a shard at <paramref name="offset"/> of <paramref name="length"/> elements in <paramref name="format"/>, in order.</summary>
    public static IEnumerable<(int Offset, int Length)> PartsOf(int offset, int length, WireFormat format = WireFormat.Float32)
    {
        var size = PartElements(format);
        for (var at = 0; at < length; at += size)
            yield return (offset + at, Math.Min(size, length - at));
    }

    /// <summary>The plan as a Plan frame's payload (int32 bit patterns, as Assign frames carry rows).</summary>
    public float[] ToPayload()
    {
        var ints = new int[3 + Members.Count * IntsPerMember + Blocks.Count * 2];
        ints[0] = Members.Count;
        ints[1] = Blocks.Count;
        ints[2] = ParametersFollow ? 1 : 0;
        var at = 3;
        foreach (var member in Members)
        {
            ints[at] = member.WorkerId;
            ints[at + 1] = member.Port;
            member.Address.MapToIPv6().TryWriteBytes(MemoryMarshal.AsBytes(ints.AsSpan(at + 2, 4)), out _);
            at += IntsPerMember;
        }
        foreach (var (first, count) in Blocks)
        {
            ints[at++] = first;
            ints[at++] = count;
        }
        return MemoryMarshal.Cast<int, float>(ints.AsSpan()).ToArray();
    }

    /// <summary>Reads a Plan frame: its header gives version, epoch, step and attempt; the payload members and blocks.</summary>
    public static StepPlan FromFrame(in FrameHeader header, ReadOnlySpan<float> payload)
    {
        var ints = MemoryMarshal.Cast<float, int>(payload);
        if (ints.Length < 3)
            throw new FrameException($"A Plan frame of {ints.Length} elements is too short.");
        int members = ints[0], blocks = ints[1];
        if (members <= 0 || blocks <= 0 || ints.Length != 3 + (long)members * IntsPerMember + (long)blocks * 2)
            throw new FrameException($"A Plan frame of {ints.Length} elements does not hold {members} members and {blocks} blocks.");
        var peers = new PeerEndpoint[members];
        var at = 3;
        for (var i = 0; i < members; i++)
        {
            var address = new IPAddress(MemoryMarshal.AsBytes(ints.Slice(at + 2, 4)));
            peers[i] = new PeerEndpoint(ints[at], address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, ints[at + 1]);
            at += IntsPerMember;
        }
        var plannedBlocks = new (int, int)[blocks];
        for (var b = 0; b < blocks; b++)
        {
            plannedBlocks[b] = (ints[at], ints[at + 1]);
            at += 2;
        }
        return new StepPlan(header.ParameterVersion, header.Epoch, header.Step, header.Attempt, peers, plannedBlocks, ints[2] != 0);
    }

    /// <summary>The header of this plan's Plan frame (kind, job and sender filled in by the sender).</summary>
    public FrameHeader Header() => new() { Kind = FrameKind.Plan, ParameterVersion = ParameterVersion, Epoch = Epoch, Step = Step, Attempt = Attempt };

    /// <summary>Orders (version, attempt) pairs: frames of an older pair are stale.</summary>
    public static int Compare(long versionA, int attemptA, long versionB, int attemptB) =>
        versionA != versionB ? versionA.CompareTo(versionB) : attemptA.CompareTo(attemptB);
}
