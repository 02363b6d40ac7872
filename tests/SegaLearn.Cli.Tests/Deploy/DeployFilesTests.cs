using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using SegaLearn.Protocol;
using Xunit.Abstractions;
using static SegaLearn.Cli.Tests.Deploy.DeployFiles;

namespace SegaLearn.Cli.Tests.Deploy;

/// <summary>
/// The files of deploy/docker, deploy/k8s and deploy/systemd, read as their tools read them (no image can be pulled
/// and no cluster reached here), and every <c>segalearn</c> command line in them and in the README's "Deploying"
/// section parsed by the real command, so that a renamed option fails here instead of on a cluster.
/// </summary>
public sealed class DeployFilesTests(ITestOutputHelper output)
{
    private const string Dockerfile = "deploy/docker/Dockerfile";
    private const string Compose = "deploy/docker/compose.yaml";
    private const string Kustomization = "deploy/k8s/kustomization.yaml";
    private const string CoordinatorJob = "deploy/k8s/coordinator-job.yaml";
    private const string WorkerDeployment = "deploy/k8s/worker-deployment.yaml";
    private const string KubernetesReadme = "deploy/k8s/README.md";
    private const string WorkerUnit = "deploy/systemd/segalearn-worker@.service";
    private const string Readme = "README.md";

    private static readonly string[] DeployFolders = ["deploy/docker", "deploy/k8s", "deploy/systemd"];

    /// <summary>Every deploy file with the segalearn command lines it holds.</summary>
    private static IEnumerable<(string File, IReadOnlyList<string> Arguments)> AllCommandLines()
    {
        foreach (var (name, service) in Map(Yaml(Compose)[0], "services"))
        {
            if (Has(service, "command"))
            {
                var command = At(service, "command");
                yield return ($"{Compose} {name}", command is string line
                    ? Words(ComposeDefaults(line))
                    : ((List<object>)command).Select(word => ComposeDefaults((string)word)).ToList());
            }
        }

        foreach (var file in Directory.GetFiles(PathOf("deploy/k8s"), "*.yaml").Select(Relative))
        {
            foreach (var container in Yaml(file).SelectMany(Containers))
            {
                Assert.False(Has(container, "command"), $"{file}: the image's entrypoint is segalearn; give its arguments as args");
                yield return ($"{file} {Text(container, "name")}", List(container, "args").Cast<string>().ToList());
            }
        }

        foreach (var start in Unit(WorkerUnit)["Service"]["ExecStart"])
        {
            yield return (WorkerUnit, SegaLearnArguments(Words(WithSpecifiers(start)))
                ?? throw new InvalidOperationException($"{WorkerUnit}: ExecStart runs no segalearn: {start}"));
        }

        // Commands in markdown code blocks are shell and must tokenize; comments are prose that may show a command.
        var texts = DeployFolders.SelectMany(folder => Directory.GetFiles(PathOf(folder))).Select(Relative)
            .Select(file => (file, Lines: file.EndsWith(".md", StringComparison.Ordinal)
                ? MarkdownCommands(File.ReadAllText(PathOf(file))).Select(Words)
                : File.ReadAllLines(PathOf(file)).Where(l => l.TrimStart().StartsWith('#'))
                    .Select(l => TryWords(WithSpecifiers(l.TrimStart().TrimStart('#')))).OfType<List<string>>()))
            .Append((Readme, MarkdownCommands(DeployingSection()).Select(Words)));
        foreach (var (file, lines) in texts)
        {
            foreach (var words in lines)
            {
                if (SegaLearnArguments(words) is { } arguments)
                {
                    yield return (file, arguments);
                }
            }
        }
    }

    public static TheoryData<string, string[]> CommandLines()
    {
        var data = new TheoryData<string, string[]>();
        foreach (var (file, arguments) in AllCommandLines())
        {
            data.Add(file, [.. arguments]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CommandLines))]
    public void Deploy_command_line_should_parse_with_the_real_command_when_written_in_a_deploy_file(string file, string[] arguments)
    {
        var root = SegaLearnCommand.Create();
        var parse = root.Parse(arguments);

        Assert.True(parse.Errors.Count == 0, $"{file}: segalearn {string.Join(' ', arguments)}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        Assert.NotSame(root, parse.CommandResult.Command);
    }

    [Fact]
    public void Deploy_files_should_start_every_node_with_a_segalearn_command_line_when_read()
    {
        var lines = AllCommandLines().ToList();
        var commands = lines.Select(line => (line.File.Split(' ')[0], line.Arguments.FirstOrDefault())).ToHashSet();

        Assert.Contains((Compose, "coordinator"), commands);
        Assert.Contains((Compose, "worker"), commands);
        Assert.Contains((CoordinatorJob, "coordinator"), commands);
        Assert.Contains((WorkerDeployment, "worker"), commands);
        Assert.Contains((WorkerUnit, "worker"), commands);
        Assert.Contains((KubernetesReadme, "cert"), commands);
        Assert.Contains((Readme, "cert"), commands);
        // Every node of a deployment reaches others beyond loopback, where a node without the certificate refuses to start.
        Assert.All(lines.Where(line => line.Arguments.FirstOrDefault() is "coordinator" or "worker" && !line.File.EndsWith(".md", StringComparison.Ordinal)),
            line => Assert.Contains("--tls", line.Arguments));
    }

    [Fact]
    public void Deploy_folders_should_hold_only_files_of_a_kind_this_test_reads_when_listed()
    {
        var files = DeployFolders.SelectMany(folder => Directory.GetFiles(PathOf(folder))).Select(Relative).ToList();

        Assert.All(files, file =>
        {
            var name = Path.GetFileName(file);
            switch (name)
            {
                case "Dockerfile":
                    Assert.NotEmpty(DockerInstructions());
                    break;
                case "Dockerfile.dockerignore" or "README.md":
                    break;
                case var yaml when yaml.EndsWith(".yaml", StringComparison.Ordinal):
                    Assert.NotEmpty(Yaml(file));
                    break;
                case var unit when unit.EndsWith(".service", StringComparison.Ordinal):
                    Assert.NotEmpty(Unit(file));
                    break;
                default:
                    Assert.Fail($"{file}: a deploy file this test does not read; teach it the file's kind");
                    break;
            }
        });
        Assert.Contains(Compose, files);
        Assert.Contains(WorkerUnit, files);
    }

    [Fact]
    public void Dockerfile_should_build_with_the_sdk_and_run_segalearn_as_a_non_root_user_when_parsed()
    {
        var instructions = DockerInstructions();
        var stages = instructions.Where(i => i.Keyword == "FROM").Select(i => Words(i.Arguments)).ToList();
        var finalStage = instructions.SkipWhile(i => i != instructions.Last(j => j.Keyword == "FROM")).ToList();

        Assert.Equal(2, stages.Count);
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/sdk:10\.0$", stages[0][0]);
        Assert.Equal(["AS", "build"], stages[0][1..]);
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/runtime:10\.0$", stages[1][0]);
        Assert.Contains(instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish src/Cli/SegaLearn.Cli.csproj", StringComparison.Ordinal));
        Assert.True(File.Exists(PathOf("src/Cli/SegaLearn.Cli.csproj")));
        Assert.Contains(finalStage, i => i.Keyword == "COPY" && i.Arguments.StartsWith("--from=build ", StringComparison.Ordinal));
        var user = Assert.Single(finalStage, i => i.Keyword == "USER").Arguments;
        Assert.DoesNotMatch(@"^(root|0)(:|$)", user);
        Assert.Equal("""["segalearn"]""", Assert.Single(finalStage, i => i.Keyword == "ENTRYPOINT").Arguments);
        Assert.Contains(finalStage, i => i.Keyword == "RUN" && i.Arguments.Contains("/usr/local/bin/segalearn", StringComparison.Ordinal));
    }

    [Fact]
    public void Compose_file_should_scale_workers_with_the_certificate_as_a_secret_and_the_data_as_a_volume_when_parsed()
    {
        var compose = Yaml(Compose)[0];
        var coordinator = Map(compose, "services", "coordinator");
        var worker = Map(compose, "services", "worker");
        var coordinatorArguments = Arguments(Compose, "coordinator");
        var workerArguments = Arguments(Compose, "worker");

        // --scale worker=N starts N copies of one definition: a fixed container name or host port would collide.
        Assert.False(Has(worker, "container_name"));
        Assert.False(Has(worker, "ports"));
        Assert.Equal($"coordinator:{Value(coordinatorArguments, "--port")}", Value(workerArguments, "--join"));
        Assert.Equal("coordinator", Value(coordinatorArguments, "--host"));
        Assert.True(File.Exists(PathOf(Path.Combine("deploy/docker", Text(coordinator, "build", "context"), Text(coordinator, "build", "dockerfile")))));
        Assert.Equal(Text(coordinator, "image"), Text(worker, "image"));

        var secret = Text(compose, "secrets", "cluster_certificate", "file");
        Assert.Equal("./cluster.pfx", secret);
        foreach (var (service, arguments) in new[] { (coordinator, coordinatorArguments), (worker, workerArguments) })
        {
            var mounted = Map(List(service, "secrets").Single());
            Assert.Equal("cluster_certificate", mounted["source"]);
            Assert.Equal($"/run/secrets/{mounted["target"]}", Value(arguments, "--tls"));
        }

        var volumes = List(coordinator, "volumes").Cast<string>().Select(v => v.Split(':')).ToList();
        Assert.Contains(volumes, v => v[1] == Path.GetDirectoryName(Value(coordinatorArguments, "--data")));
        Assert.Contains(volumes, v => v[1] == Path.GetDirectoryName(Value(coordinatorArguments, "--out")) && Has(compose, "volumes", v[0]));
    }

    [Fact]
    public void Kubernetes_manifests_should_run_the_coordinator_as_a_job_behind_a_service_and_workers_as_a_deployment_when_parsed()
    {
        var kustomization = Yaml(Kustomization)[0];
        var resources = List(kustomization, "resources").Cast<string>().ToList();
        Assert.All(resources, resource => Assert.True(File.Exists(PathOf($"deploy/k8s/{resource}")), resource));
        Assert.Equal(
            Directory.GetFiles(PathOf("deploy/k8s"), "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order(),
            resources.Order());
        var documents = resources.SelectMany(resource => Yaml($"deploy/k8s/{resource}")).ToList();
        var job = Assert.Single(documents, d => Text(d, "kind") == "Job");
        var service = Assert.Single(documents, d => Text(d, "kind") == "Service");
        var deployment = Assert.Single(documents, d => Text(d, "kind") == "Deployment");
        var certificateSecret = Text(kustomization, "secretGenerator", 0, "name");
        Assert.Equal(["cluster.pfx"], List(kustomization, "secretGenerator", 0, "files").Cast<string>());

        var coordinatorArguments = Arguments(CoordinatorJob, "coordinator");
        var workerArguments = Arguments(WorkerDeployment, "worker");
        Assert.Equal("Never", Text(job, "spec", "template", "spec", "restartPolicy"));
        Assert.True(int.Parse(Text(deployment, "spec", "replicas"), CultureInfo.InvariantCulture) >= 1);

        // Workers join the Service by the name the coordinator advertises; it forwards both of the coordinator's ports.
        Assert.Equal(Text(service, "metadata", "name"), Value(coordinatorArguments, "--host"));
        Assert.Equal($"{Text(service, "metadata", "name")}:{Value(coordinatorArguments, "--port")}", Value(workerArguments, "--join"));
        Assert.All(Map(service, "spec", "selector"), label => Assert.Equal(label.Value, Map(job, "spec", "template", "metadata", "labels")[label.Key]));
        var servicePorts = List(service, "spec", "ports").Select(p => Text(p, "port")).ToList();
        Assert.Contains(Value(coordinatorArguments, "--port"), servicePorts);
        Assert.Contains(Value(coordinatorArguments, "--data-port"), servicePorts);
        Assert.Equal("$(POD_IP)", Value(workerArguments, "--host"));

        foreach (var (workload, arguments) in new[] { (job, coordinatorArguments), (deployment, workerArguments) })
        {
            var pod = Map(workload, "spec", "template", "spec");
            var container = Map(List(pod, "containers").Single());
            Assert.Equal("true", Text(pod, "securityContext", "runAsNonRoot"));

            // Ready once the process listens on the remoting port it was told to use.
            var port = int.Parse(Value(arguments, "--port"), CultureInfo.InvariantCulture);
            Assert.Equal(port, ProbedPort(container));
            Assert.Contains(List(container, "ports"), p => Text(p, "containerPort") == $"{port}");

            // The certificate is a file of the generated Secret's volume.
            var tls = Value(arguments, "--tls");
            var mount = List(container, "volumeMounts").Single(m => tls.StartsWith(Text(m, "mountPath") + "/", StringComparison.Ordinal));
            var volume = List(pod, "volumes").Single(v => Text(v, "name") == Text(mount, "name"));
            Assert.Equal(certificateSecret, Text(volume, "secret", "secretName"));
            Assert.Equal("cluster.pfx", Path.GetFileName(tls));
        }
    }

    [SkippableFact]
    public void Readiness_probes_should_pass_only_while_a_socket_listens_on_the_probed_port_when_run_here()
    {
        Skip.IfNot(File.Exists("/proc/net/tcp") && OnPath("sh") is not null, "the probes read Linux's /proc/net/tcp with sh");
        foreach (var file in new[] { CoordinatorJob, WorkerDeployment })
        {
            var container = Yaml(file).SelectMany(Containers).Single();
            var command = List(container, "readinessProbe", "exec", "command").Cast<string>().ToArray();
            var written = $":{ProbedPort(container):X4} ";

            // Akka listens on a dual-mode IPv6 socket (/proc/net/tcp6), an IPv4-only node in /proc/net/tcp.
            foreach (var address in new[] { IPAddress.IPv6Any, IPAddress.Loopback })
            {
                var listener = new TcpListener(address, 0);
                listener.Start();
                var probe = command[..^1].Append(command[^1].Replace(written, $":{((IPEndPoint)listener.LocalEndpoint).Port:X4} ", StringComparison.Ordinal)).ToArray();
                Assert.NotEqual(command[^1], probe[^1]);
                var listening = RunTool(probe[0], probe[1..]).ExitCode;
                listener.Stop();
                var closed = RunTool(probe[0], probe[1..]).ExitCode;

                Assert.True((listening, closed) == (0, 1), $"{file} probe on {address}: {listening} while listening, {closed} once closed");
            }
        }
    }

    [SkippableFact]
    public void Kustomize_should_render_the_manifests_with_the_generated_certificate_secret_when_kubectl_is_installed()
    {
        var kubectl = OnPath("kubectl");
        Skip.If(kubectl is null, "kubectl is not installed here, so kustomize cannot render deploy/k8s");
        using var directory = new TempDirectory();
        foreach (var file in Directory.GetFiles(PathOf("deploy/k8s"), "*.yaml"))
        {
            File.Copy(file, directory.File(Path.GetFileName(file)));
        }

        ClusterCertificate.Create(directory.File("cluster.pfx"), password: null, days: 1);
        var (exitCode, rendered, error) = RunTool(kubectl!, "kustomize", directory.Path);

        Assert.True(exitCode == 0, $"kubectl kustomize: {error}");
        var documents = YamlDocuments(rendered);
        var secret = Text(Assert.Single(documents, d => Text(d, "kind") == "Secret"), "metadata", "name");
        Assert.StartsWith("segalearn-cluster-certificate-", secret);
        foreach (var workload in documents.Where(d => Text(d, "kind") is "Job" or "Deployment"))
        {
            Assert.Equal("segalearn", Text(workload, "metadata", "namespace"));
            Assert.Contains(List(workload, "spec", "template", "spec", "volumes"), v => Has(v, "secret") && Text(v, "secret", "secretName") == secret);
        }
    }

    [Fact]
    public void Worker_unit_should_restart_on_failure_as_its_own_user_with_the_certificate_as_a_credential_when_parsed()
    {
        var unit = Unit(WorkerUnit);
        var service = unit["Service"];
        var arguments = SegaLearnArguments(Words(WithSpecifiers(Assert.Single(service["ExecStart"]))))!;

        Assert.Equal(["on-failure"], service["Restart"]);
        Assert.True(service.TryGetValue("DynamicUser", out var dynamic) && dynamic.SequenceEqual(["yes"])
            || service.TryGetValue("User", out var user) && user.Single() is not ("root" or "0"));
        var credential = Assert.Single(service["LoadCredential"]).Split(':');
        Assert.Equal($"{CredentialsDirectory}/{credential[0]}", Value(arguments, "--tls"));
        Assert.Equal("/etc/segalearn/cluster.pfx", credential[1]);
        var written = Words(service["ExecStart"][0]);
        Assert.Equal("%i", written[written.IndexOf("--join") + 1]);
        Assert.Equal(["multi-user.target"], unit["Install"]["WantedBy"]);
    }

    [SkippableFact]
    public void Worker_unit_should_pass_systemd_analyze_verify_when_systemd_is_installed()
    {
        var analyze = OnPath("systemd-analyze");
        Skip.If(analyze is null, "systemd-analyze is not installed here");
        using var directory = new TempDirectory();
        var text = File.ReadAllText(PathOf(WorkerUnit));
        var binary = Words(Unit(WorkerUnit)["Service"]["ExecStart"].Single())[0];
        if (!File.Exists(binary))
        {
            // verify also checks that ExecStart's program exists; the tool is not installed on a build machine.
            output.WriteLine($"{binary} is not installed here; verified with /bin/true in its place");
            text = text.Replace(binary, "/bin/true", StringComparison.Ordinal);
        }

        var unit = directory.Write(Path.GetFileName(WorkerUnit), text);
        var (exitCode, said, error) = RunTool(analyze!, "verify", unit);

        // verify exits 0 on unknown keys and bad values too, and says so on stderr: any word from it is a finding.
        Assert.True(exitCode == 0 && (said + error).Trim().Length == 0, $"systemd-analyze verify exited {exitCode}: {said}{error}");
    }

    private const string CredentialsDirectory = "/run/credentials/segalearn-worker@10.0.0.5:4053.service";

    /// <summary>The unit's specifiers as systemd expands them for instance 10.0.0.5:4053 on host worker-7.</summary>
    private static string WithSpecifiers(string line) => line
        .Replace("%i", "10.0.0.5:4053", StringComparison.Ordinal)
        .Replace("%H", "worker-7", StringComparison.Ordinal)
        .Replace("%d", CredentialsDirectory, StringComparison.Ordinal)
        .Replace("%C", "/var/cache", StringComparison.Ordinal);

    /// <summary>The port an exec readiness probe looks for as listening, written in hex as the kernel's socket table has it.</summary>
    private static int ProbedPort(Dictionary<object, object> container)
    {
        var command = List(container, "readinessProbe", "exec", "command").Cast<string>().ToList();
        Assert.Equal(["sh", "-c"], command[..2]);
        var port = Regex.Match(command[2], @"^grep -qs ':([0-9A-F]{4}) \[0-9A-F\]\*:0000 0A' /proc/net/tcp /proc/net/tcp6$");
        Assert.True(port.Success, $"not a listening-socket probe: {command[2]}");
        return int.Parse(port.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    private static IEnumerable<Dictionary<object, object>> Containers(Dictionary<object, object> document) =>
        Has(document, "spec", "template", "spec", "containers")
            ? List(document, "spec", "template", "spec", "containers").Cast<Dictionary<object, object>>()
            : [];

    private static IReadOnlyList<string> Arguments(string file, string command) =>
        AllCommandLines().First(line => line.File.StartsWith(file, StringComparison.Ordinal) && line.Arguments.FirstOrDefault() == command).Arguments;

    private static string Value(IReadOnlyList<string> arguments, string option)
    {
        var index = arguments.ToList().IndexOf(option);
        Assert.True(index >= 0 && index + 1 < arguments.Count, $"no {option} in: segalearn {string.Join(' ', arguments)}");
        return arguments[index + 1];
    }

    private static List<(string Keyword, string Arguments)> DockerInstructions() =>
        JoinContinuations(File.ReadAllLines(PathOf(Dockerfile)))
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' ', 2, StringSplitOptions.TrimEntries))
            .Select(parts => (parts[0].ToUpperInvariant(), parts.Length > 1 ? parts[1] : ""))
            .ToList();

    private static string DeployingSection()
    {
        var readme = File.ReadAllText(PathOf(Readme));
        var start = readme.IndexOf("\n## Deploying", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no \"## Deploying\" section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }

    private static string Relative(string path) => Path.GetRelativePath(Root, path).Replace(Path.DirectorySeparatorChar, '/');

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);

    private static (int ExitCode, string Output, string Error) RunTool(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), $"{program} did not finish within 60 s");
        return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }
}
