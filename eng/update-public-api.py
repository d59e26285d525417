#!/usr/bin/env python3
"""Brings each src project's PublicAPI.*.txt in line with its public surface.

Builds the src projects with the PublicApiAnalyzers' findings as warnings, then adds every symbol the analyzer reports
as undeclared (RS0016) to PublicAPI.Unshipped.txt (PublicAPI.Shipped.txt with --shipped) and removes every declared
symbol that is gone (RS0017). Review the diff: it is the public API change.
Usage: python3 eng/update-public-api.py [--shipped] [project ...]   (projects by name, e.g. DcOs.Frameworks; default all)
"""
import collections, os, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
target = 'PublicAPI.Shipped.txt' if '--shipped' in sys.argv else 'PublicAPI.Unshipped.txt'
only = {a for a in sys.argv[1:] if not a.startswith('--')}
projects = sorted(f'src/{d}/{d}.csproj' for d in os.listdir(os.path.join(root, 'src'))
                  if os.path.isfile(os.path.join(root, 'src', d, f'{d}.csproj')) and (not only or d in only))
pattern = re.compile(r"(?:error|warning) (RS0016|RS0017): Symbol '(.+?)' is .*\[(.+?\.csproj)\]")
added, removed = collections.defaultdict(set), collections.defaultdict(set)
for project in projects:
    out = subprocess.run(['dotnet', 'build', project, '--no-incremental', '-m:2', '-p:TreatWarningsAsErrors=false', '-nologo', '-v:q'],
                         cwd=root, capture_output=True, text=True).stdout
    for code, symbol, csproj in pattern.findall(out):
        (added if code == 'RS0016' else removed)[os.path.dirname(csproj)].add(symbol)
for folder in sorted(set(added) | set(removed)):
    for name in ('PublicAPI.Shipped.txt', 'PublicAPI.Unshipped.txt'):
        path = os.path.join(folder, name)
        lines = open(path).read().splitlines() if os.path.exists(path) else ['#nullable enable']
        header = [l for l in lines if l.startswith('#')] or ['#nullable enable']
        body = {l for l in lines if l and not l.startswith('#')} - removed[folder]
        if name == target:
            body |= added[folder]
        with open(path, 'w') as f:
            f.write('\n'.join(header + sorted(body, key=lambda s: s.replace('~', ''))) + '\n')
    print(f'{os.path.relpath(folder, root)}: +{len(added[folder])} -{len(removed[folder])}')
