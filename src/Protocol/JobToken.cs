using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SegaLearn.Protocol;

/// <summary>
/// The per-job secret a coordinator hands to the workers it accepts (in <see cref="JobOffer.Token"/>) and checks on
/// every data-plane connection and data-chunk request.
/// </summary>
public static class JobToken
{
    /// <summary>Bytes of randomness in a token; its text is twice as many lowercase hex digits.</summary>
    public const int ByteLength = 32;

    /// <summary>Size of the data-plane proof <see cref="ComputeProof"/> writes (an HMAC-SHA256).</summary>
    public const int ProofLength = HMACSHA256.HashSizeInBytes;

    /// <summary>A fresh token: 32 bytes from the operating system's cryptographic generator, as 64 lowercase hex digits.</summary>
    public static string Create() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(ByteLength));

    /// <summary>
    /// Whether <paramref name="presented"/> is <paramref name="expected"/>, in time independent of where they differ
    /// (and of their lengths, since both are hashed first), so a guesser learns nothing from timing.
    /// </summary>
    public static bool Matches(string expected, string? presented)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (presented is null)
            return false;
        Span<byte> expectedHash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> presentedHash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), expectedHash);
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), presentedHash);
        return CryptographicOperations.FixedTimeEquals(expectedHash, presentedHash);
    }

    /// <summary>
    /// Writes the proof a worker sends in its data-plane Hello instead of the token itself: HMAC-SHA256 keyed by the
    /// token over (job id hash, worker id, protocol version), so the token never crosses the data plane and a proof
    /// is only good for that job, worker and protocol version.
    /// </summary>
    public static void ComputeProof(string token, Guid jobId, int workerId, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(token);
        Span<byte> message = stackalloc byte[24];
        jobId.TryWriteBytes(message);
        BinaryPrimitives.WriteInt32LittleEndian(message[16..], workerId);
        BinaryPrimitives.WriteInt32LittleEndian(message[20..], ProtocolInfo.Version);
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), message, destination);
    }

    /// <summary>Whether <paramref name="presented"/> is the proof for this token, job and worker, in constant time.</summary>
    public static bool ProofMatches(string token, Guid jobId, int workerId, ReadOnlySpan<byte> presented)
    {
        Span<byte> expected = stackalloc byte[ProofLength];
        ComputeProof(token, jobId, workerId, expected);
        return CryptographicOperations.FixedTimeEquals(expected, presented);
    }
}
