"""The demo's words: the fictional city's places, roads, events and the stock phrases of its reports.

Data tables only; the activities (`emergencies`, `items`) draw from them with the simulation's seeded
random generator, so changing a table changes every demo made with the same seed.
"""

DISTRICT_PLACES = {
    "dcq": ("东城区", ["新华街道", "东关街道", "望江街道", "朝阳街道"]),
    "xhq": ("西湖区", ["湖滨街道", "河西街道", "西山街道", "翠屏街道"]),
    "jkq": ("江口区", ["江口街道", "白沙镇", "港城街道", "沙洲镇"]),
    "nsx": ("南山县", ["城关镇", "青石镇", "柳湾乡", "南岭镇"]),
    "blx": ("北岭县", ["北岭镇", "石门乡", "杨庄镇", "双河镇"]),
}
ROADS = ["人民路", "建设路", "滨江大道", "解放路", "工业园区纬三路", "S216省道", "G320国道", "沿江快速路",
         "迎宾大道", "学府路"]
UNIT_CATEGORIES = {
    "gaj": ["social_security", "traffic"], "jjzd": ["traffic"], "yjj": ["accident", "natural_disaster"],
    "xfzd": ["fire"], "wjw": ["public_health"], "jkzx": ["public_health"], "sthj": ["environment"],
    "slj": ["natural_disaster"], "zrzy": ["natural_disaster"], "zjj": ["accident"],
    "scj": ["public_health", "other"], "jtj": ["traffic", "accident"], "jyj": ["public_health", "social_security"],
}
INVOLVED = {"accident": ["yjj", "zjj"], "traffic": ["jjzd", "jtj"], "fire": ["xfzd"],
            "natural_disaster": ["slj", "zrzy", "yjj"], "environment": ["sthj"],
            "public_health": ["wjw", "jkzx"], "social_security": ["gaj"], "other": ["zjj", "scj"]}
EVENTS = {
    "accident": [("{place}一建筑工地发生高处坠落事故", "一名作业人员在脚手架作业时坠落"),
                 ("{place}一化工企业发生有限空间中毒窒息事故", "两名工人进入储罐清洗时中毒窒息"),
                 ("{place}一机械加工厂发生机械伤害事故", "一名工人操作冲压设备时被卷入"),
                 ("{place}一在建厂房发生局部坍塌事故", "在建厂房钢结构屋面局部坍塌")],
    "traffic": [("{road}{place}路段发生一起货车与客车相撞的道路交通事故", "一辆重型半挂货车与一辆中型客车追尾相撞"),
                ("{road}{place}路段发生一起多车连环相撞事故", "雨天路滑，五辆小型汽车连环相撞"),
                ("{place}{road}发生一起校车侧翻事故", "一辆接送学生的校车避让行人时侧翻")],
    "fire": [("{place}一居民楼发生火灾", "一栋六层居民楼三楼住户起火，浓烟蔓延至楼道"),
             ("{place}一家具厂仓库发生火灾", "家具厂成品仓库起火，过火面积约800平方米"),
             ("{place}一农贸市场发生火灾", "农贸市场二层商铺起火")],
    "natural_disaster": [("{place}遭受强降雨袭击引发内涝", "短时强降雨导致城区多处积水，部分低洼地段受淹"),
                         ("{place}发生山体滑坡", "连续降雨后村后山体滑坡，掩埋部分农房"),
                         ("{place}遭受冰雹大风灾害", "冰雹伴随8级大风，农作物和大棚受损")],
    "environment": [("{place}境内河段发现死鱼和水体异色", "河段约2公里水面出现死鱼，水体呈黄褐色"),
                    ("{place}一企业发生危险化学品泄漏", "企业储罐阀门破裂，约3吨液碱泄漏"),
                    ("{place}出现异味气体扰民", "居民反映夜间有刺激性气味")],
    "public_health": [("{place}一学校发生疑似食物中毒事件", "学生午餐后陆续出现腹痛、呕吐症状"),
                      ("{place}报告一起流感样病例聚集性疫情", "一所小学一个班级出现多名发热学生"),
                      ("{place}一餐馆发生疑似食物中毒事件", "多名就餐人员出现恶心、腹泻症状")],
    "social_security": [("{place}发生一起群众聚集讨要工程款事件", "约40名务工人员在项目部门前聚集讨要工程款"),
                        ("{place}发生一起持刀伤人案件", "一男子在街头持刀伤人后被当场控制"),
                        ("{place}发生一起涉众型经济案件引发的聚集", "部分投资人聚集反映理财公司无法兑付")],
    "other": [("{place}发生燃气管道泄漏", "施工挖断中压燃气管道，造成燃气泄漏"),
              ("{place}大面积停电", "变电站设备故障导致片区停电"),
              ("{place}一商场电梯发生故障致人受伤", "商场自动扶梯突然逆行")],
}
TRENDS = ["事态已得到控制，未发现次生灾害。", "现场处置工作正在进行中，事态趋于稳定。",
          "伤员救治和善后工作正在进行，社会面总体平稳。", "仍有降雨，存在发生次生灾害的可能，正在密切监测。"]
MEASURES = ["接报后，区领导第一时间赶赴现场指挥处置，公安、消防、卫健等部门联动处置，伤员已送医救治。",
            "已启动应急预案，组织人员转移疏散，设置警戒区域，做好现场秩序维护。",
            "已成立工作专班，开展调查核实、舆情引导和善后工作。",
            "已组织专家研判，对周边区域开展隐患排查。"]
CAUSES = ["初步查明系违规作业所致，具体原因正在进一步调查。", "初步判断为设备老化引发，详细原因待调查组认定。",
          "经现场勘查，系驾驶人操作不当所致。", "系短时强降雨超过排水能力所致。"]
DELAY_REASONS = ["事发地处偏远山区，通信信号中断，信息员无法及时上报，已加强应急通信保障。",
                 "值班人员对事件性质研判不准，未及时启动报送程序，已对相关人员批评教育并完善值班制度。",
                 "事发于夜间，基层报告链条过长，延误了报送时间，已建立直报机制。",
                 "首报材料核实伤亡人数耗时较长，未能按时书面报告，今后将坚持边核实边报告。"]
INFO_TOPICS = ["优化营商环境", "乡村振兴", "基层治理", "安全生产专项整治", "防汛抗旱", "民生实事", "城市更新",
               "生态环境保护", "食品安全", "信访矛盾化解", "数字政府建设", "就业创业", "养老服务", "教育“双减”"]
INFO_TITLES = {
    "dynamic": "{unit}扎实推进{topic}工作", "experience": "{unit}“三个坚持”推动{topic}见实效",
    "problem": "当前{topic}工作中需要关注的几个问题", "suggestion": "关于进一步做好{topic}工作的建议",
    "research": "关于{topic}情况的调研报告",
}
INFO_SENTENCES = [
    "今年以来，{unit}坚持以人民为中心，聚焦{topic}，细化任务清单，压实工作责任。",
    "建立“周调度、月通报”工作机制，累计召开专题会议{n}次，协调解决难点问题{m}个。",
    "组织开展走访调研，深入企业和社区{n}家（个），收集意见建议{m}条，已办结率达{p}%。",
    "部分基层单位存在思想认识不到位、工作落实不平衡等问题，个别领域风险隐患依然存在。",
    "下一步，将进一步完善长效机制，强化督查考核，推动各项措施落地见效。",
    "群众满意度明显提升，相关做法被{n}家媒体报道。",
    "建议市级层面加强统筹协调，加大资金和政策支持力度，建立跨部门信息共享机制。",
]
PLATFORMS = [("微博", "https://weibo.com/{n}/{m}"), ("抖音", "https://www.douyin.com/video/{n}{m}"),
             ("微信公众号", "https://mp.weixin.qq.com/s/{n}x{m}"), ("今日头条", "https://www.toutiao.com/article/{n}{m}/"),
             ("江州论坛", "https://bbs.jiangzhou.example/thread-{n}-{m}-1.html")]
OPINION_TOPICS = ["有网民发帖反映{place}小区停水多日无人处理", "网传{place}一学校食堂饭菜变质",
                  "有视频称{place}城管执法人员与摊贩发生冲突", "网民反映{place}某楼盘延期交房",
                  "网传{place}发生化工厂爆炸（经核实为谣言）"]
OUTLETS = {"own": ["江州市委办公室门户网站", "江州政务信息网"], "city": ["《江州信息》", "《江州每日要情》"],
           "prefecture": ["《江州要情专报》"], "province": ["《省委信息》", "《省政府办公厅信息专报》"],
           "national": ["《国务院办公厅信息》", "中办《每日汇报》"]}
LEVEL_WEIGHTS = {"own": 10, "city": 55, "prefecture": 8, "province": 22, "national": 5}
LEADERS = {"city": ["市委书记", "市长", "常务副市长", "分管副市长"], "province": ["省委副书记", "副省长"],
           "own": ["区委书记"], "prefecture": ["市委副书记"], "national": ["国务院有关领导同志"]}

