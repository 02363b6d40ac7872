using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace SegaLearn.Cli.Tests.Deploy;

/// <summary>
/// Reads the deploy files of the repository (found by walking up to the solution file) the way their tools would:
/// YAML documents as plain maps, lists and strings; systemd units as sections of repeated keys; shell words with quotes;
/// and the <c>segalearn</c> command lines written in each.
/// </summary>
internal static partial class DeployFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static IReadOnlyList<Dictionary<object, object>> Yaml(string relative) => YamlDocuments(File.ReadAllText(PathOf(relative)));

    public static IReadOnlyList<Dictionary<object, object>> YamlDocuments(string text)
    {
        var parser = new Parser(new StringReader(text));
        var deserializer = new DeserializerBuilder().Build();
        var documents = new List<Dictionary<object, object>>();
        parser.Consume<StreamStart>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(deserializer.Deserialize<Dictionary<object, object>>(parser));
        }

        return documents;
    }

    /// <summary>The value at a path of map keys and list indices, failing with the path when it is missing.</summary>
    public static object At(object node, params object[] path)
    {
        var current = node;
        foreach (var step in path)
        {
            current = (current, step) switch
            {
                (Dictionary<object, object> map, string key) when map.TryGetValue(key, out var value) => value,
                (List<object> list, int index) when index < list.Count => list[index],
                _ => throw new KeyNotFoundException($"no {string.Join(".", path)} (stopped at {step})"),
            };
        }

        return current;
    }

    public static string Text(object node, params object[] path) => (string)At(node, path);

    public static List<object> List(object node, params object[] path) => (List<object>)At(node, path);

    public static Dictionary<object, object> Map(object node, params object[] path) => (Dictionary<object, object>)At(node, path);

    public static bool Has(object node, params object[] path)
    {
        try
        {
            At(node, path);
            return true;
        }
        catch (KeyNotFoundException)
        {
            return false;
        }
    }

    /// <summary>A systemd unit's sections, each key with its values in order (a key may repeat).</summary>
    public static Dictionary<string, Dictionary<string, List<string>>> Unit(string relative)
    {
        var sections = new Dictionary<string, Dictionary<string, List<string>>>();
        Dictionary<string, List<string>>? section = null;
        foreach (var line in JoinContinuations(File.ReadAllLines(PathOf(relative))).Select(l => l.Trim()))
        {
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                Assert.EndsWith("]", line);
                section = [];
                sections.Add(line[1..^1], section);
                continue;
            }

            Assert.True(section is not null, $"{relative}: '{line}' before any section");
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"{relative}: '{line}' is not KEY=VALUE");
            var key = line[..equals].Trim();
            if (!section.TryGetValue(key, out var values))
            {
                section.Add(key, values = []);
            }

            values.Add(line[(equals + 1)..].Trim());
        }

        return sections;
    }

    /// <summary>Lines ending with a backslash joined to the next, as sh, systemd and Dockerfiles read them.</summary>
    public static IEnumerable<string> JoinContinuations(IEnumerable<string> lines)
    {
        var pending = new StringBuilder();
        foreach (var line in lines)
        {
            if (line.EndsWith('\\'))
            {
                pending.Append(line.AsSpan(0, line.Length - 1)).Append(' ');
                continue;
            }

            yield return pending.Append(line).ToString();
            pending.Clear();
        }

        if (pending.Length > 0)
        {
            yield return pending.ToString();
        }
    }

    /// <summary>Shell words: blanks split, quotes group, a backslash escapes, an unquoted word starting with # ends the line.</summary>
    public static List<string> Words(string line) => TryWords(line) ?? throw new FormatException($"unclosed quote in: {line}");

    /// <summary>The shell words of a line, or null when a quote is left open (prose, such as a comment with an apostrophe).</summary>
    public static List<string>? TryWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else
                {
                    word.Append(c == '\\' && q == '"' && i + 1 < line.Length ? line[++i] : c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                Flush();
            }
            else if (c == '#' && !inWord)
            {
                break;
            }
            else
            {
                word.Append(c == '\\' && i + 1 < line.Length ? line[++i] : c);
                inWord = true;
            }
        }

        if (quote is not null)
        {
            return null;
        }

        Flush();
        return words;

        void Flush()
        {
            if (inWord)
            {
                words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
        }
    }

    /// <summary>
    /// The arguments of <c>segalearn</c> in a shell command line: the words after <c>segalearn</c> (or a path ending in
    /// it) in command position, after <c>sudo</c> and <c>VAR=value</c> words, or after the image of <c>docker run</c>,
    /// whose entrypoint is segalearn; up to the end of that command (<c>&amp;&amp; || ; | &amp;</c>). Null when the line runs no segalearn.
    /// </summary>
    public static IReadOnlyList<string>? SegaLearnArguments(IReadOnlyList<string> words)
    {
        var commandStart = true;
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (word is "&&" or "||" or ";" or "|" or "&")
            {
                commandStart = true;
                continue;
            }

            if (commandStart && (word == "sudo" || EnvironmentAssignment().IsMatch(word)))
            {
                continue;
            }

            var runsIt = (commandStart && (word == "segalearn" || word.EndsWith("/segalearn", StringComparison.Ordinal)))
                || (SegaLearnImage().IsMatch(word) && i >= 2 && words.Take(i).Contains("docker") && words.Take(i).Contains("run"));
            if (runsIt)
            {
                return words.Skip(i + 1).TakeWhile(w => w is not ("&&" or "||" or ";" or "|" or "&")).ToList();
            }

            commandStart = false;
        }

        return null;
    }

    /// <summary>Compose's <c>${VAR:-default}</c> and <c>${VAR-default}</c> with their defaults, <c>${VAR}</c> with nothing.</summary>
    public static string ComposeDefaults(string text) => ComposeVariable().Replace(text, match => match.Groups[2].Value);

    /// <summary>The shell commands in the fenced code blocks of a markdown file, continuation lines joined.</summary>
    public static IEnumerable<string> MarkdownCommands(string markdown)
    {
        var inBlock = false;
        var block = new List<string>();
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                if (inBlock)
                {
                    foreach (var command in JoinContinuations(block))
                    {
                        yield return command;
                    }

                    block.Clear();
                }

                inBlock = !inBlock;
                continue;
            }

            if (inBlock)
            {
                block.Add(line.TrimEnd('\r'));
            }
        }
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SegaLearn.Distributed.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no SegaLearn.Distributed.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*=")]
    private static partial Regex EnvironmentAssignment();

    [GeneratedRegex(@"^([\w.\-]+(:\d+)?/)*segalearn:[\w.\-]+$")]
    private static partial Regex SegaLearnImage();

    [GeneratedRegex(@"\$\{(\w+)(?::?-([^}]*))?\}")]
    private static partial Regex ComposeVariable();
}
