namespace SegaLearn.Protocol;

/// <summary>Version of the coordinator–worker protocol (control messages and data-plane frames).</summary>
public static class ProtocolInfo
{
    /// <summary>Bumped on any incompatible change; a worker of another version is refused.</summary>
    public const int Version = 7;

    /// <summary>Akka.Remote messages stay well under this size; tensors travel on the data plane.</summary>
    public const int MaxControlMessageBytes = 64 * 1024;

    /// <summary>Akka.Remote's maximum-frame-size, set explicitly and identically on every node.</summary>
    public const int MaxFrameBytes = 256 * 1024;

    /// <summary>Data set chunks fetched through Akka are this large at most, under <see cref="MaxControlMessageBytes"/>.</summary>
    public const int DataChunkBytes = 48 * 1024;

    /// <summary>The coordinator actor's name under /user.</summary>
    public const string CoordinatorName = "segalearn-coordinator";

    public const string CoordinatorRole = "coordinator";

    public const string WorkerRole = "worker";

    /// <summary>Whether <paramref name="host"/> names this machine only (a loopback address or <c>localhost</c>), so a node for it listens on loopback alone.</summary>
    public static bool IsLoopback(string host) =>
        System.Net.IPAddress.TryParse(host, out var address) ? System.Net.IPAddress.IsLoopback(address) : host == "localhost";
}
