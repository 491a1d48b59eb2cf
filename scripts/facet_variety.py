#!/usr/bin/env python3
"""Gives generated articles the variety of a large archive: reads NDJSON from
gen_articles.py on stdin and writes it to stdout with 1 to 4 tags drawn from
TAGS distinct tags by a Zipf law (a few tags in many articles, most in few),
one of AUTHORS authors and one of SOURCES source outlets, both Zipf too.
content_html is cut to its first paragraph, since facet queries do not read
it and the benchmark should not spend its time moving bytes.

    gen_articles.py --articles 1000000 | facet_variety.py --tags 50000 > in.ndjson
"""

import argparse
import itertools
import json
import random
import sys

# Syllables that make plausible two- to four-character Chinese words.
SYLLABLES = (
    "新能源智慧城乡数字经济文化旅游生态环境交通医疗教育科技创新产业园区农业水利"
    "乡村振兴人工智能航天海洋港口金融保险体育赛事非遗博物馆展览民生就业养老托育"
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
OUTLET_KINDS = ("日报", "晚报", "都市报", "商报", "周刊", "新闻网", "广播电视台", "观察", "时报", "在线")


def word(rng, index):
    """A deterministic word for `index`, distinct for distinct indexes."""
    length = 2 + index % 3
    picked = "".join(rng.choice(SYLLABLES) for _ in range(length))
    return f"{picked}{index}"


def zipf_weights(n, s=1.0):
    return list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=50000)
    parser.add_argument("--authors", type=int, default=20000)
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tags = [word(rng, i) for i in range(args.tags)]
    authors = [rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) + f"{i}" for i in range(args.authors)]
    sources = [word(rng, i) + rng.choice(OUTLET_KINDS) for i in range(args.sources)]
    tag_weights = zipf_weights(len(tags))
    author_weights = zipf_weights(len(authors))
    source_weights = zipf_weights(len(sources))
    out = sys.stdout
    for line in sys.stdin:
        article = json.loads(line)
        count = rng.randint(1, 4)
        article["tags"] = list(dict.fromkeys(rng.choices(tags, cum_weights=tag_weights, k=count)))
        article["author"] = rng.choices(authors, cum_weights=author_weights)[0]
        source = article.get("source") or {}
        source["name"] = rng.choices(sources, cum_weights=source_weights)[0]
        source.setdefault("url", article.get("url") or "https://source.example/")
        article["source"] = source
        content = article.get("content_html") or ""
        end = content.find("</p>")
        article["content_html"] = content[: end + 4] if end >= 0 else content[:200]
        out.write(json.dumps(article, ensure_ascii=False))
        out.write("\n")


if __name__ == "__main__":
    main()
