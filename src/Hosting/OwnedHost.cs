using Microsoft.Extensions.Hosting;

namespace SegaLearn.Hosting;

/// <summary>
/// The host of an engine's actor system and what else the engine owns (e.g. worker processes): the companion is
/// disposed after the host stops, so worker processes see their coordinator leave before they are ended.
/// </summary>
internal sealed class OwnedHost(IHost host, IDisposable? companion = null) : IDisposable
{
    public void Dispose()
    {
        host.StopAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        host.Dispose();
        companion?.Dispose();
    }
}
