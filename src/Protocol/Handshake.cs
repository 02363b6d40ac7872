using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SegaLearn.Protocol;

/// <summary>
/// What the coordinator's data plane and the workers' peer connections share: accepting connections, and the Hello whose
/// payload proves the sender knows the job token (<see cref="JobToken.ComputeProof"/>) without the token crossing.
/// </summary>
internal static class Handshake
{
    /// <summary>What <see cref="ReadHello"/> found.</summary>
    public enum HelloCheck
    {
        Valid,
        WrongLength,
        OtherJob,
        WrongProof,
    }

    private const int ProofElements = JobToken.ProofLength / sizeof(float);

    /// <summary>
    /// Accepts connections until the listener is closed, each served on a thread of its own with blocking calls, so its
    /// socket stays in blocking mode (see <see cref="FrameChannel"/>).
    /// </summary>
    public static void AcceptConnections(Socket listener, Func<bool> stopping, Action<Socket> serve, string threadName)
    {
        while (!stopping())
        {
            Socket socket;
            try
            {
                socket = listener.Accept();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return;
            }
            new Thread(() => serve(socket)) { IsBackground = true, Name = threadName }.Start();
        }
    }

    /// <summary>Sends <paramref name="hello"/> (its kind, job and worker id set here) with the proof for that worker as payload.</summary>
    public static void SendHello(FrameChannel channel, string token, Guid jobId, int workerId, FrameHeader hello)
    {
        Span<float> proof = stackalloc float[ProofElements];
        JobToken.ComputeProof(token, jobId, workerId, MemoryMarshal.AsBytes(proof));
        channel.Send(hello with { Kind = FrameKind.Hello, JobId = jobId, WorkerId = workerId }, proof);
    }

    /// <summary>
    /// Reads the proof of a Hello whose header was read and checks job and proof. The payload is read before any verdict:
    /// closing a socket with unread bytes resets the connection, which can destroy a Refused frame sent before the close.
    /// </summary>
    public static HelloCheck ReadHello(FrameChannel channel, in FrameHeader hello, string token, Guid jobId)
    {
        Span<float> proof = stackalloc float[ProofElements];
        if (hello.ElementCount != proof.Length)
            return HelloCheck.WrongLength;
        channel.ReadPayload(hello, proof);
        if (hello.JobId != jobId)
            return HelloCheck.OtherJob;
        return JobToken.ProofMatches(token, jobId, hello.WorkerId, MemoryMarshal.AsBytes(proof)) ? HelloCheck.Valid : HelloCheck.WrongProof;
    }
}
