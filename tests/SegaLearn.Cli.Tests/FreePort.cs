using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SegaLearn.Cli.Tests;

/// <summary>A loopback port free at this moment, for a command that needs a fixed one (the coordinator's remoting port).</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public static string NextText() => Next().ToString(CultureInfo.InvariantCulture);
}
